"""The Personal Information Protection Help Desk: ticket API for the bot and a console for staff."""
