"""Scrapy spiders of the nianbao project (one: `portal`)."""
