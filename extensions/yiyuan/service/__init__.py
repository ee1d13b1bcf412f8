"""The yiyuan hub service (``/services/yiyuan/``): REST API, exchange endpoints, pages.

Run by JupyterHub as a managed service (``yiyuan service run``); authenticated the hub's way:
hub OAuth for browsers, the hub API token of a user's server for the exchange client.
"""
