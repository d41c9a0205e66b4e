"""Pure deal-pipeline rules: transitions, follow-ups, responsiveness, auto-replies and reminders."""
