"""The chat's door: Rasa's REST channel with bounded input, and the limits the site shares."""
