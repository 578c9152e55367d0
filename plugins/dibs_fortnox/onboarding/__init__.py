"""Onboarding a tenant as the merchant's form promised: check, test documents, e-mail, OK.

``checks`` asks Fortnox and Nets whether booking can work; ``testdocs`` creates (and later
reverses) a TEST invoice, its payment and a test voucher; ``messages`` writes the e-mails and
``mailer`` sends them over an Airflow SMTP connection; ``links`` signs the merchant's approval
link and ``approve`` serves it; ``state`` keeps where each tenant stands, which is the gate
the daily DAG reads.
"""
