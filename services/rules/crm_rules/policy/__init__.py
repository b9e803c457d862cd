"""The rules' pure decisions: reminders, histories and times in, reminders and changes out."""
