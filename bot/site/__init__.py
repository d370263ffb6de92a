"""The public website: the privacy policy page and the chat widget, as a Sanic blueprint."""

from bot.site.blueprint import create_site_blueprint
from bot.site.settings import SiteSettings, SiteSettingsError

__all__ = ["SiteSettings", "SiteSettingsError", "create_site_blueprint"]
