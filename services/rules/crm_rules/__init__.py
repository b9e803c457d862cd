"""Rules: the automation engine for reminders."""
