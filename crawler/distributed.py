"""A crawl shared by any number of `nianbao crawl --redis URL` processes, on any machines.

The frontier (the request queue) and the duplicate filter are scrapy-redis's: its
scheduler, its priority queue (a sorted set), its fingerprint set, kept in redis across
runs (SCHEDULER_PERSIST). What nianbao adds around them:

- **A reliable queue.** scrapy-redis pops a request destructively: a worker killed with
  requests in flight would lose them. Here a pop moves the request, atomically (Lua), into
  the worker's own processing hash; it is taken off only when its response has gone through
  the spider and the capture pipeline, the captures it made are committed to disk and the
  bookkeeping it changed is in redis (one MULTI). Every worker refreshes a heartbeat key;
  a worker whose key has expired is dead, and the first live worker that notices puts its
  processing hash back into the queue. A request is fetched twice only when its worker
  died after fetching it.
- **Politeness across workers.** Each host has a "next allowed start" in redis. Just
  before a request is sent, one Lua script checks it against redis's clock (the machines'
  clocks do not matter) and, when it has passed, moves it `delay` on; otherwise the worker
  waits and asks again. Whichever worker fetches, requests to one host start at least its
  delay apart. Hosts whose delay is 0 (loopback servers in DOWNLOAD_SLOTS) are exempt.
- **One run.** The first worker creates the run (its id and start time live in redis) and
  seeds the column pages; the others join it. A worker stays up while any request is queued
  or in flight anywhere (a dead worker's requests may come back), and leaves when the
  frontier is empty. Each worker sends its tally's events (crawler/summary.py) with its
  acknowledgements; the last worker to leave replays all of them into one tally, closes
  it and writes the run into its own journal (captures/workers/<worker>/runs.jsonl), which
  `nianbao build` records in the archive like any other run. Then it clears the run's keys
  (queue, fingerprints, processing), so the next `nianbao crawl --redis` is a new run that
  re-checks every report. A run all of whose workers stopped early (Ctrl-C, limits) stays
  in redis and is resumed by the next worker that starts.

Captures go to each worker's own store under the shared data directory
(crawler/captures.py, captures/workers/<worker>/). Redis must be trusted: requests are
stored pickled, as scrapy-redis does.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request, Spider, signals
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy_redis.dupefilter import RFPDupeFilter as RedisDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from .captures import CaptureError, CaptureStore

logger = logging.getLogger(__name__)

TOKEN = "_nianbao_queue_token"  # request.meta: the request's entry in its worker's processing hash
DEFAULT_KEY = "crawl"
HEARTBEAT_SECONDS = 1.0
WORKER_TIMEOUT_SECONDS = 60.0

# -- Lua ---------------------------------------------------------------------------------
# Every script gets the key prefix as ARGV[1] and builds the per-worker key names from it.

# Put the processing hashes of workers whose heartbeat expired back into the queue; the
# caller sets live_key, dead_key, queue_key and me first (see _REAP and _FINALIZE).
_REAP_BODY = """
local moved = 0
for _, w in ipairs(redis.call('SMEMBERS', live_key)) do
  if w ~= me and redis.call('EXISTS', ARGV[1] .. ':alive:' .. w) == 0 then
    local proc = ARGV[1] .. ':processing:' .. w
    local kv = redis.call('HGETALL', proc)
    local values = {}
    for i = 1, #kv, 2 do values[kv[i]] = kv[i + 1] end
    for k, v in pairs(values) do
      if string.sub(k, -2) ~= ':s' then
        redis.call('ZADD', queue_key, tonumber(values[k .. ':s'] or '0'), v)
        moved = moved + 1
      end
    end
    redis.call('DEL', proc)
    redis.call('SREM', live_key, w)
    redis.call('SADD', dead_key, w)
  end
end
"""
# KEYS: live, dead, requests; ARGV: prefix, the caller's worker name
_REAP = ("local live_key, dead_key, queue_key, me = KEYS[1], KEYS[2], KEYS[3], ARGV[2]\n"
         + _REAP_BODY + "return moved\n")

# Join the run, or start one (and seed it) when there is none.
# KEYS: run, requests, dupefilter, workers, live, dead, alive:<me>
# ARGV: prefix, me, run id, started, timeout ms, n seeds, (score, data) * n, n fingerprints, fps...
_JOIN = """
local role = 'joined'
if redis.call('EXISTS', KEYS[1]) == 0 then
  for _, w in ipairs(redis.call('SMEMBERS', KEYS[4])) do
    redis.call('DEL', ARGV[1] .. ':processing:' .. w, ARGV[1] .. ':events:' .. w)
  end
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
  redis.call('HSET', KEYS[1], 'id', ARGV[3], 'started', ARGV[4])
  local n = tonumber(ARGV[6])
  for i = 0, n - 1 do
    redis.call('ZADD', KEYS[2], tonumber(ARGV[7 + 2 * i]), ARGV[8 + 2 * i])
  end
  local at = 7 + 2 * n
  for i = 1, tonumber(ARGV[at]) do redis.call('SADD', KEYS[3], ARGV[at + i]) end
  role = 'started'
elseif redis.call('HEXISTS', KEYS[1], 'closing') == 1 then
  return {'closing'}
elseif redis.call('SISMEMBER', KEYS[5], ARGV[2]) == 1 and redis.call('EXISTS', KEYS[7]) == 1 then
  return {'taken'}
end
redis.call('SADD', KEYS[4], ARGV[2])
redis.call('SADD', KEYS[5], ARGV[2])
redis.call('SREM', KEYS[6], ARGV[2])
redis.call('SET', KEYS[7], '1', 'PX', ARGV[5])
return {role, redis.call('HGET', KEYS[1], 'id'), redis.call('HGET', KEYS[1], 'started')}
"""

# Take the best request off the queue into the caller's processing hash.
# KEYS: requests, processing:<me>, seq
_POP = """
local items = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #items == 0 then return false end
redis.call('ZREM', KEYS[1], items[1])
local token = tostring(redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[2], token, items[1], token .. ':s', items[2])
return {token, items[1]}
"""

# Is the frontier empty (nothing queued, nothing in any worker's hands)? Marks the run closing.
# KEYS: requests, workers, run; ARGV: prefix, run id
_DONE = """
if redis.call('HGET', KEYS[3], 'id') ~= ARGV[2] then return 1 end
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('HLEN', ARGV[1] .. ':processing:' .. w) > 0 then return 0 end
end
redis.call('HSET', KEYS[3], 'closing', '1')
return 1
"""

# The last worker out: hand over every worker's events and clear the run.
# KEYS: run, live, dead, workers, requests, dupefilter, seq; ARGV: prefix, me, run id
_FINALIZE = """
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[3] then return {'gone'} end
local live_key, dead_key, queue_key, me = KEYS[2], KEYS[3], KEYS[5], ARGV[2]
""" + _REAP_BODY + """
if redis.call('SCARD', KEYS[2]) > 0 then return {'wait'} end
local open = redis.call('ZCARD', KEYS[5]) > 0
local workers = redis.call('SMEMBERS', KEYS[4])
for _, w in ipairs(workers) do
  if redis.call('HLEN', ARGV[1] .. ':processing:' .. w) > 0 then open = true end
end
if open then return {'open'} end
if redis.call('HSETNX', KEYS[1], 'finalizer', ARGV[2]) == 0 then return {'gone'} end
local out = {'final', redis.call('HGET', KEYS[1], 'started'), redis.call('SMEMBERS', KEYS[3])}
for _, w in ipairs(workers) do
  local ev = ARGV[1] .. ':events:' .. w
  table.insert(out, w)
  table.insert(out, redis.call('LRANGE', ev, 0, -1))
  redis.call('DEL', ev, ARGV[1] .. ':processing:' .. w, ARGV[1] .. ':alive:' .. w)
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
return out
"""

# A host's slot: free when its "next allowed start" has passed; taking it moves that time
# `delay` ms past now (redis's clock). Returns 0 when taken, else the ms to wait before asking
# again. Taken at the moment of sending, so a worker that wakes late only widens the gap.
# KEYS: slot:<host>; ARGV: delay ms
_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < nxt then return nxt - now end
redis.call('SET', KEYS[1], now + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + 60000)
return 0
"""


class DistributedError(Exception):
    """Redis cannot be reached, or the run cannot be joined: str(e) says which and why."""


def redacted(url: str) -> str:
    """The redis URL without its password, for logs and the run record."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str) -> Any:
    """A redis client for `url` that answered PING, or DistributedError saying why not."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10,
                                      retry_on_timeout=True)
        client.ping()
    except (redis.RedisError, ValueError, OSError) as exc:
        raise DistributedError(f"cannot reach redis at {redacted(url)}: {exc}") from None
    return client


def default_worker_names() -> list[str]:
    """Worker names tried in turn: this machine's name with -1, -2, ..."""
    host = re.sub(r"[^A-Za-z0-9._-]+", "-", socket.gethostname()).strip("-.") or "worker"
    return [f"{host[:50]}-{n}" for n in range(1, 100)]


def settings_for(url: str, key: str = DEFAULT_KEY) -> dict[str, Any]:
    """The Scrapy settings of a distributed worker (scrapy-redis's scheduler and ours)."""
    prefix = f"nianbao:{key}"
    handler = f"{__name__}.SharedSlotDownloadHandler"
    return {
        "SCHEDULER": f"{__name__}.ReliableScheduler",
        "SCHEDULER_QUEUE_CLASS": f"{__name__}.ReliableQueue",
        "DUPEFILTER_CLASS": f"{__name__}.SharedDupeFilter",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "SCHEDULER_PERSIST": True,
        "REDIS_URL": url,
        "NIANBAO_REDIS_URL": url,
        "NIANBAO_REDIS_KEY": key,
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
    }


@dataclass
class Finalized:
    """What the last worker out learnt: the run's start, every worker's events, the dead."""

    started: str
    events: dict[str, list[list[Any]]] = field(default_factory=dict)
    dead: list[str] = field(default_factory=list)


class Coordinator:
    """One worker's side of a distributed run: its name, its store, redis keys and scripts."""

    def __init__(self, url: str, key: str = DEFAULT_KEY, *, worker: str | None = None,
                 heartbeat: float = HEARTBEAT_SECONDS, timeout: float = WORKER_TIMEOUT_SECONDS) -> None:
        self.url = url
        self.redis = connect(url)
        self.prefix = f"nianbao:{key}"
        self.wanted = worker
        self.worker = ""
        self.heartbeat = heartbeat
        self.timeout = timeout
        self.run_id: str | None = None
        self.started: str | None = None
        self.role: str | None = None  # started | joined
        self.outcome: str | None = None  # after leave(): final | gone | open | wait
        self._scripts = {name: self.redis.register_script(text) for name, text in (
            ("reap", _REAP), ("join", _JOIN), ("pop", _POP), ("done", _DONE), ("finalize", _FINALIZE),
            ("slot", _SLOT))}

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # -- joining -------------------------------------------------------------------------
    def join(self, data_dir: str, run_id: str, started: str, seeds: list[tuple[float, bytes]],
             fingerprints: list[str]) -> CaptureStore:
        """Take a worker name (its store's lock free, no live worker of that name), join or
        start the run, and return the worker's open capture store."""
        names = [self.wanted] if self.wanted else default_worker_names()
        deadline = time.monotonic() + self.timeout + 10
        for name in names:
            try:
                store = CaptureStore(data_dir, worker=name).open()
            except CaptureError:
                if self.wanted:
                    raise
                continue
            while True:
                role, *rest = self._join(name, run_id, started, seeds, fingerprints)
                if role != "closing":
                    break
                if time.monotonic() > deadline:
                    store.close()
                    raise DistributedError(f"{redacted(self.url)}: the previous run is still being closed; "
                                           "try again in a minute")
                time.sleep(0.2)  # the last worker of the previous run is writing it up
            if role == "taken":
                store.close()
                if self.wanted:
                    raise DistributedError(f"worker name {name!r} is used by a live worker of this run")
                continue
            self.worker, self.role = name, role
            self.run_id, self.started = rest[0].decode(), rest[1].decode()
            return store
        raise DistributedError(f"{data_dir}: no free worker name (tried {names[0]} … {names[-1]})")

    def _join(self, name: str, run_id: str, started: str, seeds: list[tuple[float, bytes]],
              fingerprints: list[str]) -> list[Any]:
        keys = [self.key("run"), self.key("requests"), self.key("dupefilter"), self.key("workers"),
                self.key("live"), self.key("dead"), self.key("alive", name)]
        args: list[Any] = [self.prefix, name, run_id, started, int(self.timeout * 1000), len(seeds)]
        for score, data in seeds:
            args += [score, data]
        args += [len(fingerprints), *fingerprints]
        reply = self._scripts["join"](keys=keys, args=args)
        return [reply[0].decode(), *reply[1:]]

    # -- while crawling ------------------------------------------------------------------
    def pop(self) -> tuple[str, bytes] | None:
        """The best queued request, moved into this worker's processing hash (token, data)."""
        reply = self._scripts["pop"](keys=[self.key("requests"), self.key("processing", self.worker),
                                           self.key("seq")])
        return (reply[0].decode(), reply[1]) if reply else None

    def report(self, events: list[list[Any]], done: list[str]) -> None:
        """One heartbeat: alive, the tally's new events, the requests now done (one MULTI)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self.key("alive", self.worker), "1", px=int(self.timeout * 1000))
        pipe.sadd(self.key("live"), self.worker)  # back, if it was taken for dead (a long stall)
        pipe.srem(self.key("dead"), self.worker)
        if events:  # compressed: a national crawl sends millions of them, mostly URLs
            pipe.rpush(self.key("events", self.worker), zlib.compress(json.dumps(events).encode("utf-8")))
        if done:
            pipe.hdel(self.key("processing", self.worker), *done, *(f"{t}:s" for t in done))
        pipe.execute()

    def reap(self) -> int:
        """Requeue the requests of dead workers; how many went back."""
        return int(self._scripts["reap"](keys=[self.key("live"), self.key("dead"), self.key("requests")],
                                         args=[self.prefix, self.worker]))

    def requeue(self, tokens: list[str]) -> None:
        """Put requests of this worker back into the queue (it stops before doing them)."""
        proc = self.key("processing", self.worker)
        for token in tokens:
            data, score = self.redis.hmget(proc, [token, f"{token}:s"])
            pipe = self.redis.pipeline(transaction=True)
            if data is not None:
                pipe.zadd(self.key("requests"), {data: float(score or 0)})
            pipe.hdel(proc, token, f"{token}:s")
            pipe.execute()

    def frontier_done(self) -> bool:
        """True when nothing is queued and no worker holds a request (the run is closing)."""
        return bool(self._scripts["done"](keys=[self.key("requests"), self.key("workers"), self.key("run")],
                                          args=[self.prefix, self.run_id]))

    def take_slot(self, host: str, delay: float) -> float:
        """0 when a request to `host` may start now (the slot is taken for `delay` seconds),
        else the seconds to wait before asking again."""
        wait_ms = self._scripts["slot"](keys=[self.key("slot", host)], args=[max(1, int(delay * 1000))])
        return max(0.0, int(wait_ms) / 1000)

    # -- leaving -------------------------------------------------------------------------
    def leave(self, finished: bool) -> Finalized | None:
        """Leave the run; the last worker out of a finished run gets everything to write it up.

        A worker leaving a finished run waits (at most the heartbeat timeout, for dead
        workers to expire) until every worker has left; the last one finalizes.
        """
        pipe = self.redis.pipeline(transaction=True)
        pipe.srem(self.key("live"), self.worker)
        pipe.delete(self.key("alive", self.worker))
        pipe.execute()
        keys = [self.key("run"), self.key("live"), self.key("dead"), self.key("workers"),
                self.key("requests"), self.key("dupefilter"), self.key("seq")]
        deadline = time.monotonic() + (self.timeout + 5 if finished else 0)
        while True:
            reply = self._scripts["finalize"](keys=keys, args=[self.prefix, self.worker, self.run_id])
            self.outcome = reply[0].decode()
            if self.outcome != "wait" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if self.outcome != "final":
            return None
        out = Finalized(started=reply[1].decode(), dead=sorted(w.decode() for w in reply[2]))
        rest = reply[3:]
        for name, chunks in zip(rest[0::2], rest[1::2], strict=True):
            out.events[name.decode()] = [e for chunk in chunks for e in json.loads(zlib.decompress(chunk))]
        return out


# -- Scrapy components ---------------------------------------------------------------------
class ReliableQueue(PriorityQueue):
    """scrapy-redis's priority queue; requests are taken through the Coordinator (`take`)."""

    def take(self, coordinator: Coordinator) -> tuple[str, Request] | None:
        got = coordinator.pop()
        if got is None:
            return None
        token, data = got
        return token, self._decode_request(data)

    def encode(self, request: Request) -> bytes:
        return bytes(self._encode_request(request))


class SharedDupeFilter(RedisDupeFilter):
    """scrapy-redis's shared fingerprint set, with nianbao's two exceptions.

    A redirect of a report page or attachment is never dropped (its link would vanish,
    crawler/middlewares.py), and a list page is known by its list key (`dir/` and
    `dir/index.html` are one page), which the spider puts in `nianbao_list_key`.
    """

    def request_seen(self, request: Request) -> bool:
        if request.meta.get("nianbao_capture") and request.meta.get("redirect_urls"):
            return False
        return bool(super().request_seen(request))

    def request_fingerprint(self, request: Request) -> str:
        key = request.meta.get("nianbao_list_key")
        if key and request.method == "GET":
            return str(super().request_fingerprint(Request(key)))
        return str(super().request_fingerprint(request))


class ReliableScheduler(Scheduler):
    """scrapy-redis's scheduler with a reliable queue, a heartbeat and a shared end.

    Requests taken off the queue are remembered with their token; one is done when the
    engine no longer has it in progress (its response went through the callbacks and the
    item pipeline). Every heartbeat commits the captures, then sends the tally's events
    and the done tokens in one MULTI, and puts back the requests of dead workers.
    """

    crawler: Crawler
    coordinator: Coordinator
    _taken: dict[str, Request]  # token -> request taken off the queue, not done yet
    _done: list[str]  # tokens done, to acknowledge at the next heartbeat
    _loop: Any
    _last_idle: float

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReliableScheduler:
        instance: ReliableScheduler = super().from_crawler(crawler)
        instance.crawler = crawler
        instance._taken = {}
        instance._done = []
        instance._loop = None
        instance._last_idle = 0.0
        crawler.signals.connect(instance._idle, signal=signals.spider_idle)
        return instance

    def open(self, spider: Spider) -> None:
        super().open(spider)
        start: Callable[[ReliableScheduler], None] | None = getattr(spider, "join_run", None)
        if start is None:
            raise DistributedError(f"the {spider.name} spider cannot take part in a distributed crawl")
        start(self)
        self.coordinator = spider.coordinator  # type: ignore[attr-defined]
        if self.coordinator.role == "joined":
            logger.info("worker %s joined run %s (%d requests queued)", self.coordinator.worker,
                        self.coordinator.run_id, len(self.queue))
        from scrapy.utils.asyncio import create_looping_call

        self._loop = create_looping_call(self.tick)
        self._loop.start(self.coordinator.heartbeat, now=True)

    def seeds(self, requests: list[Request]) -> tuple[list[tuple[float, bytes]], list[str]]:
        """The start requests as (score, data) for the queue, and their fingerprints."""
        assert isinstance(self.queue, ReliableQueue)
        seeds = [(float(-r.priority), self.queue.encode(r)) for r in requests]
        return seeds, [self.df.request_fingerprint(r) for r in requests]

    def enqueue_request(self, request: Request) -> bool:
        # A request coming back with a token is a retry or a redirect of a taken request:
        # that one is done (handed over), the new one is a request of its own.
        token = request.meta.pop(TOKEN, None)
        if token in self._taken:
            self._taken.pop(token)
            self._done.append(token)
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        self._collect_done()
        assert isinstance(self.queue, ReliableQueue)
        got = self.queue.take(self.coordinator)
        if got is None:
            return None
        token, request = got
        request.meta[TOKEN] = token
        self._taken[token] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def _collect_done(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)
        in_progress = getattr(slot, "inprogress", None)
        if in_progress is None:
            return
        for token, request in list(self._taken.items()):
            if request not in in_progress:
                del self._taken[token]
                self._done.append(token)

    def tick(self) -> None:
        """Heartbeat: commit captures, report events and done requests, requeue the dead's."""
        try:
            self._collect_done()
            spider = self.crawler.spider
            commit = getattr(spider, "commit_captures", None)
            if commit is not None:
                commit()
            tally = getattr(spider, "tally", None)
            events = tally.take_events() if tally is not None else []
            done, self._done = self._done, []
            self.coordinator.report(events, done)
            moved = self.coordinator.reap()
            if moved:
                logger.warning("put %d request(s) of dead worker(s) back in the queue", moved)
        except Exception:
            logger.exception("distributed crawl heartbeat failed")
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()  # take what other workers queued without waiting for Scrapy's 5 s

    def _idle(self, spider: Spider) -> None:
        """Stay up while the frontier is not empty: requests queued or held by any worker."""
        now = time.monotonic()
        if now - self._last_idle < 0.2:
            raise DontCloseSpider
        self._last_idle = now
        self.tick()
        if not self.coordinator.frontier_done():
            raise DontCloseSpider

    def has_pending_requests(self) -> bool:
        return len(self) > 0

    def close(self, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._collect_done()
        if self._taken:  # stopped before they were done: another worker does them
            self.coordinator.requeue(list(self._taken))
            self._taken.clear()
        self.tick()


class SharedSlotDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP handler, after a wait for the host's shared slot (politeness across workers).

    The wait is taken when the local download slot sends the request, so the local delay,
    concurrency and AutoThrottle still apply; the shared slot spaces the starts of all
    workers' requests to one host by the larger of the configured delay and the local one.
    """

    async def download_request(self, request: Request) -> Response:
        delay = self._delay(request)
        coordinator = getattr(self._crawler.spider, "coordinator", None)
        if delay > 0 and coordinator is not None:
            from scrapy.utils.defer import maybe_deferred_to_future
            from twisted.internet import reactor, task

            host = urlsplit(request.url).hostname or ""
            while (wait := coordinator.take_slot(host, delay)) > 0:
                await maybe_deferred_to_future(task.deferLater(reactor, wait))
        return await super().download_request(request)

    def _delay(self, request: Request) -> float:
        settings = self._crawler.settings
        host = urlsplit(request.url).hostname or ""
        per_slot = settings.getdict("DOWNLOAD_SLOTS").get(host, {})
        delay = float(per_slot.get("delay", settings.getfloat("DOWNLOAD_DELAY")))
        if delay <= 0:
            return 0.0  # a host without a delay (loopback servers): no shared slot
        downloader = self._crawler.engine.downloader if self._crawler.engine else None
        slot = downloader.slots.get(downloader.get_slot_key(request)) if downloader else None
        return max(delay, float(getattr(slot, "delay", 0) or 0))
