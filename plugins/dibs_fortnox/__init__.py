"""DIBS-Fortnox: book Nets Easy (DIBS Easy) card payouts into Fortnox, exactly once."""
