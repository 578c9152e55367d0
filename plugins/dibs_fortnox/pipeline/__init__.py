"""Extract → transform → load → reconcile for one tenant and one payout day.

Each step is a plain function of a ``StepContext`` (Airflow-free, testable against the
sandbox); ``runner`` is the thin Airflow side that builds the context from a task's
context and its connections.
"""
