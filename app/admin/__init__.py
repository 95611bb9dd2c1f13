"""The admin API (role admin): knowledge-base documents, reindex, status, conversation export/erasure."""
