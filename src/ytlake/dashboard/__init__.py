"""The Streamlit dashboard over Gold: locally from the DuckDB file, on Databricks from a SQL warehouse."""
