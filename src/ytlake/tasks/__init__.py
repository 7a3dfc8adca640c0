"""One module per job task, named exactly as its ``task_key``; each has ``main(argv)``.

``main`` parses the same parameters the bundle passes on Databricks (``--key=value``).
"""
