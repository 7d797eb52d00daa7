"""The custom tools the bot answers itself (answers.IncidentTools dispatches a call to its handler by name)."""
