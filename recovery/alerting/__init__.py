"""Deadline alerts: which threshold a deadline has reached (pure), and the e-mails that follow."""
