"""Emulators of the Nets Easy and Fortnox APIs, served for real on 127.0.0.1.

The demo and the test suite run against these instead of live merchant accounts. They
enforce the rules of the real APIs that integrations trip over (auth, paging, rate limits,
substring search, booking rules) and can inject the faults that matter for exactly-once
posting (a write that lands while its response is lost).
"""
