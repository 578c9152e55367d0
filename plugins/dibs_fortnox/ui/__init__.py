"""The DIBS-Fortnox page in the Airflow UI: tenants, held and failed days, balances.

``status`` gathers the facts (no HTML), ``balance`` reads Fortnox, ``chart`` and ``html``
draw them, ``app`` serves them behind Airflow's login (``plugins/tenants_page_plugin.py``
mounts it).
"""
