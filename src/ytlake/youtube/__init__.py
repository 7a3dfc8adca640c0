"""The client side of Google: OAuth, HTTP with retry and pacing, the Data and Analytics APIs.

``youtube`` knows HTTP and Google's formats; it knows nothing of tables.
"""
