"""Scrapy settings for the nianbao crawler: polite to government portals, strict about bytes.

Government sites are small and slow: one source at a time per host, AutoThrottle, a
delay, robots.txt obeyed and a User-Agent that says who we are and how to reach us. A
download is capped (DOWNLOAD_MAXSIZE) and a truncated body (fewer bytes than
Content-Length) is a failure, never a capture. Servers on the loopback interface (tests,
the demo portal) are not throttled.
"""

BOT_NAME = "nianbao"
SPIDER_MODULES = ["nianbao.crawler.spiders"]
NEWSPIDER_MODULE = "nianbao.crawler.spiders"

USER_AGENT = "nianbao/0.1 (+https://github.com/nianbao; contact: nianbao@users.noreply.github.com)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 8
# Items and requests of one response go through the (synchronous) capture pipeline one by
# one: Scrapy's default of 100 starts 100 asyncio tasks per response for nothing, which cost
# the spider a third of its pages/s in `make bench` (docs/benchmarks.md).
CONCURRENT_ITEMS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Loopback servers (tests, the demo portal) need no politeness.
DOWNLOAD_SLOTS = {
    "127.0.0.1": {"concurrency": 8, "delay": 0},
    "localhost": {"concurrency": 8, "delay": 0},
}

DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    "nianbao.crawler.middlewares.LoopbackMiddleware": 20,
    "nianbao.crawler.middlewares.ConditionalRequestMiddleware": 560,
    # Scrapy's redirect middlewares, with loops and long chains named (every report link
    # must end in a capture or a failure with a reason; see crawler/middlewares.py).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "nianbao.crawler.middlewares.AccountedMetaRefreshMiddleware": 580,
    "nianbao.crawler.middlewares.AccountedRedirectMiddleware": 600,
}
# No DEBUG record per response and per item when the log is at INFO (crawler/logformatter.py).
LOG_FORMATTER = "nianbao.crawler.logformatter.QuietLogFormatter"
DUPEFILTER_CLASS = "nianbao.crawler.middlewares.RedirectAwareDupeFilter"
ITEM_PIPELINES = {
    "nianbao.crawler.pipelines.CapturePipeline": 300,
}

# Where the capture store lives (captures/*.warc.gz and captures/index.jsonl).
NIANBAO_DATA_DIR = "data"
# Safety net against pager traps: list pages read per source at most.
NIANBAO_MAX_LIST_PAGES = 1000
# Re-download attachments whose server sent no ETag/Last-Modified (normally skipped once captured).
NIANBAO_RECHECK_ALL = False
# Captures are synced and announced in the index in groups, every this many seconds (and at
# the end of the crawl); 0 syncs each capture on its own (crawler/pipelines.py).
NIANBAO_CAPTURE_COMMIT_SECONDS = 1.0
