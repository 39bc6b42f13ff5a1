"""The approval process: workflow definitions, cases, decisions and the audit chain."""
