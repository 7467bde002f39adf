"""Limits on what anyone may send without logging in (public complaints, provider registration): a count of
recent submissions per address, kept in the database so every worker sees the same count."""
