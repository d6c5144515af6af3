"""Synthetic annual reports in the `nianbao.report/1` shape, for loads and pages at scale.

The five seeds are too few to measure a 100,000-report archive or a 10,000-page portal,
so this module makes reports with the seeds' structure: the two national templates'
cells (labels and numbering from REPORT_JSON.md), agencies and years that give every
report its own stable id, numbers that obey the template's arithmetic (a few percent
deliberately do not, and are flagged, as real reports are), and narrative sections made
of real sentences taken from the seeds. Deterministic for a given seed number.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from .harness import SEEDS

SCHEMA = "nianbao.report/1"

APPLICANTS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
TOTAL = "总计"

# row -> label (REPORT_JSON.md), in the template's order.
ROW_LABELS_COMMON: list[tuple[str, str]] = [
    ("1", "一、本年新收政府信息公开申请数量"),
    ("2", "二、上年结转政府信息公开申请数量"),
    ("3.1", "（一）予以公开"),
    ("3.2", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("3.3.1", "1.属于国家秘密"),
    ("3.3.2", "2.其他法律行政法规禁止公开"),
    ("3.3.3", "3.危及“三安全一稳定”"),
    ("3.3.4", "4.保护第三方合法权益"),
    ("3.3.5", "5.属于三类内部事务信息"),
    ("3.3.6", "6.属于四类过程性信息"),
    ("3.3.7", "7.属于行政执法案卷"),
    ("3.3.8", "8.属于行政查询事项"),
    ("3.4.1", "1.本机关不掌握相关政府信息"),
    ("3.4.2", "2.没有现成信息需要另行制作"),
    ("3.4.3", "3.补正后申请内容仍不明确"),
    ("3.5.1", "1.信访举报投诉类申请"),
    ("3.5.2", "2.重复申请"),
    ("3.5.3", "3.要求提供公开出版物"),
    ("3.5.4", "4.无正当理由大量反复申请"),
    ("3.5.5", "5.要求行政机关确认或重新出具已获取信息"),
]
ROW_OTHER_2019 = [("3.6", "（六）其他处理")]
ROW_OTHER_2021 = [
    ("3.6.1", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("3.6.2", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("3.6.3", "3.其他"),
]
ROW_TAIL = [("3.7", "（七）总计"), ("4", "四、结转下年度继续办理")]

GROUP_LABELS = {
    "3.3": "（三）不予公开",
    "3.4": "（四）无法提供",
    "3.5": "（五）不予处理",
    "3.6": "（六）其他处理",
}

# (article, item, [metrics]) per template.
AD_2019: list[tuple[str, str, list[str]]] = [
    ("20.1", "规章", ["本年新制作数量", "本年新公开数量", "对外公开总数量"]),
    ("20.1", "规范性文件", ["本年新制作数量", "本年新公开数量", "对外公开总数量"]),
    ("20.5", "行政许可", ["上一年项目数量", "本年增/减", "处理决定数量"]),
    ("20.5", "其他对外管理服务事项", ["上一年项目数量", "本年增/减", "处理决定数量"]),
    ("20.6", "行政处罚", ["上一年项目数量", "本年增/减", "处理决定数量"]),
    ("20.6", "行政强制", ["上一年项目数量", "本年增/减", "处理决定数量"]),
    ("20.8", "行政事业性收费", ["上一年项目数量", "本年增/减"]),
    ("20.9", "政府集中采购", ["采购项目数量", "采购总金额"]),
]
AD_2021: list[tuple[str, str, list[str]]] = [
    ("20.1", "规章", ["本年制发件数", "本年废止件数", "现行有效件数"]),
    ("20.1", "规范性文件", ["本年制发件数", "本年废止件数", "现行有效件数"]),
    ("20.5", "行政许可", ["本年处理决定数量"]),
    ("20.6", "行政处罚", ["本年处理决定数量"]),
    ("20.6", "行政强制", ["本年处理决定数量"]),
    ("20.8", "行政事业性收费", ["本年收费金额"]),
]
MONEY = {"采购总金额", "本年收费金额"}
ARTICLE_LABELS = {
    "20.1": "第二十条第（一）项",
    "20.5": "第二十条第（五）项",
    "20.6": "第二十条第（六）项",
    "20.8": "第二十条第（八）项",
    "20.9": "第二十条第（九）项",
}

STAGES = ["行政复议", "未经复议直接起诉", "复议后起诉"]
OUTCOMES = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]

HEADINGS = [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
]

CITIES = [
    "广州",
    "深圳",
    "珠海",
    "汕头",
    "佛山",
    "韶关",
    "湛江",
    "肇庆",
    "江门",
    "茂名",
    "惠州",
    "梅州",
    "汕尾",
    "河源",
    "阳江",
    "清远",
    "东莞",
    "中山",
    "潮州",
    "揭阳",
    "云浮",
    "南宁",
    "柳州",
    "桂林",
    "梧州",
    "北海",
    "长沙",
    "株洲",
    "湘潭",
    "衡阳",
    "福州",
    "厦门",
    "莆田",
    "泉州",
    "漳州",
    "南昌",
    "赣州",
    "九江",
    "海口",
    "三亚",
]
DISTRICTS = ["越秀", "海珠", "荔湾", "天河", "白云", "黄埔", "番禺", "花都"]
BUREAUS = [
    "人民政府办公室",
    "发展和改革局",
    "教育局",
    "科学技术局",
    "工业和信息化局",
    "公安局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "规划和自然资源局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水务局",
    "农业农村局",
    "商务局",
    "文化广电旅游局",
    "卫生健康委员会",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "城市管理和综合执法局",
    "林业和园林局",
    "政务服务数据管理局",
    "信访局",
    "体育局",
    "地方金融监督管理局",
    "协作办公室",
    "港务局",
    "档案局",
    "人民防空办公室",
    "机关事务管理局",
    "民族宗教事务局",
    "国有资产监督管理委员会",
    "气象局",
    "粮食和物资储备局",
    "供销合作联社",
    "住房公积金管理中心",
    "残疾人联合会",
    "妇女联合会",
    "总工会",
    "科学技术协会",
    "红十字会",
    "公共资源交易中心",
    "海洋综合执法支队",
    "知识产权局",
    "投资促进局",
    "外事办公室",
    "台湾事务办公室",
    "侨务办公室",
    "文物局",
    "消防救援支队",
    "地震局",
    "水文局",
    "税务局",
    "邮政管理局",
]


@lru_cache(maxsize=1)
def sentence_pool() -> tuple[str, ...]:
    """Real narrative sentences of the Simplified-character seeds, tables and numbers of lines removed."""
    sentences: list[str] = []
    for name in ("000_eac659b3405373d8.txt", "001_092bb9cf510e616c.txt", "003_a4b06523178ecf58.txt"):
        lines = (SEEDS / name).read_text(encoding="utf-8").splitlines()
        prose = "".join(ln.strip() for ln in lines if "\t" not in ln and len(ln.strip()) > 12)
        prose = re.sub(r"(?<=[^\x00-\x7f]) +|(?<=\S) +(?=[^\x00-\x7f])", "", prose)
        for s in re.split(r"(?<=[。；])", prose):
            s = s.strip()
            if 14 <= len(s) <= 160 and sum("\u4e00" <= ch <= "\u9fff" for ch in s) > 0.6 * len(s):
                sentences.append(s)
    if len(sentences) < 20:
        raise RuntimeError(f"too few narrative sentences in {SEEDS} ({len(sentences)})")
    return tuple(dict.fromkeys(sentences))


def agency_count() -> int:
    return len(CITIES) * len(BUREAUS) * (1 + len(DISTRICTS))


def agency(i: int) -> tuple[str, str, str]:
    """(agency, region, level) of the i-th synthetic agency; all distinct."""
    n = len(CITIES) * len(BUREAUS)
    block, rest = divmod(i % agency_count(), n)
    city, bureau = divmod(rest, len(BUREAUS))
    city_name = CITIES[city] + "市"
    if block == 0:
        return f"{city_name}{BUREAUS[bureau]}", city_name, "部门"
    district = DISTRICTS[block - 1] + "区"
    return f"{city_name}{district}{BUREAUS[bureau]}", f"{city_name}{district}", "区"


def _small(rng: random.Random, scale: int) -> int:
    """Mostly zero, sometimes a few, rarely many: how application counts really look."""
    r = rng.random()
    if r < 0.55:
        return 0
    if r < 0.9:
        return rng.randint(1, max(1, scale // 5))
    return rng.randint(1, scale)


def _narrative(rng: random.Random, chars: int, agency_name: str, year: int) -> str:
    pool = sentence_pool()
    parts = [f"{year}年，{agency_name}认真贯彻落实《中华人民共和国政府信息公开条例》。"]
    size = len(parts[0])
    while size < chars:
        s = pool[rng.randrange(len(pool))]
        parts.append(s)
        size += len(s)
    return "".join(parts)


def application_rows(template: str) -> list[tuple[str, str]]:
    other = ROW_OTHER_2019 if template == "2019" else ROW_OTHER_2021
    return ROW_LABELS_COMMON + other + ROW_TAIL


def make_report(
    i: int, *, seed: int = 2024, narrative_chars: int = 240, tables: bool = True
) -> dict[str, Any]:
    """The i-th synthetic report: one agency and year, both templates, about 5% flagged.

    `tables=False` leaves the three tables empty (the search archive does not need them).
    """
    rng = random.Random(seed * 1_000_003 + i)
    years = 6
    a_idx, y_idx = divmod(i, years)
    name, region, level = agency(a_idx)
    year = 2019 + y_idx
    template = "2019" if year <= 2020 else "2021"
    flagged = rng.random() < 0.05 and tables

    ad: list[dict[str, Any]] = []
    for article, item, metrics in (AD_2019 if template == "2019" else AD_2021) if tables else ():
        for metric in metrics:
            if metric in MONEY:
                value: float | int = round(rng.uniform(0, 5000), rng.choice([2, 4, 6]))
                unit = "万元"
            elif metric == "本年增/减":
                value, unit = rng.randint(-20, 20), None
            else:
                value, unit = _small(rng, 300), None
            ad.append(
                {
                    "article": article,
                    "item": item,
                    "metric": metric,
                    "value": value,
                    "unit": unit,
                    "raw": (f"{value:+d}" if metric == "本年增/减" and value else str(value)),
                }
            )

    rows = [r for r, _ in application_rows(template)] if tables else []
    outcome_rows = [r for r in rows if r.startswith("3.") and r != "3.7"]
    apps: dict[tuple[str, str], int] = {}
    for who in APPLICANTS if tables else ():
        scale = 60 if who == "自然人" else 8
        new, carried = _small(rng, scale), _small(rng, 3)
        apps[("1", who)], apps[("2", who)] = new, carried
        left = new + carried
        done = left - (rng.randint(0, min(left, 2)) if left else 0)
        apps[("4", who)] = left - done
        apps[("3.7", who)] = done
        for r in outcome_rows:
            apps[(r, who)] = 0
        for _ in range(done):  # spread handled applications over the outcome rows
            r = outcome_rows[0] if rng.random() < 0.5 else rng.choice(outcome_rows)
            apps[(r, who)] += 1
    applications: list[dict[str, Any]] = []
    for r in rows:
        total = sum(apps[(r, who)] for who in APPLICANTS)
        for who in [*APPLICANTS, TOTAL]:
            v = total if who == TOTAL else apps[(r, who)]
            applications.append({"row": r, "applicant": who, "value": v, "raw": str(v)})

    reviews: list[dict[str, Any]] = []
    for stage in STAGES if tables else ():
        outs = [_small(rng, 5) for _ in range(4)]
        for outcome, v in zip(OUTCOMES, [*outs, sum(outs)], strict=True):
            reviews.append({"stage": stage, "outcome": outcome, "value": v, "raw": str(v)})

    checks = [
        {"name": n, "ok": True, "cells": []}
        for n in ("row_total", "balance", "outcome_total", "review_total", "complete")
    ]
    flags: list[str] = []
    if flagged and tables:  # a printed total that does not add up, as real reports have
        cell = next(c for c in applications if c["row"] == "1" and c["applicant"] == TOTAL)
        cell["value"] += 1
        cell["raw"] = str(cell["value"])
        checks[0] = {
            "name": "row_total",
            "ok": False,
            "cells": [{"table": "applications", "row": "1", "applicant": TOTAL}],
        }
        flags.append("row_total: applications row 1 总计 is not the sum of its columns")

    sections = []
    for number, heading in enumerate(HEADINGS, start=1):
        if number in (1, 5):
            text = _narrative(rng, narrative_chars, name, year)
        elif number == 6:
            text = _narrative(rng, narrative_chars // 4, name, year)
        else:
            text = f"{year}年{name}{heading[2:]}详见下表。"
        sections.append({"number": number, "heading": heading, "text": text})

    month = rng.randint(1, 3)
    day = rng.randint(1, 28)
    return {
        "schema": SCHEMA,
        "source": f"https://bench.example.gov.cn/{a_idx}/{year}.html",
        "title": f"{name}{year}年政府信息公开工作年度报告",
        "agency": name,
        "region": region,
        "level": level,
        "year": year,
        "template": template,
        "script": "simplified",
        "published": f"{year + 1}-{month:02d}-{day:02d}",
        "kind": "html",
        "status": "flagged" if flagged else "ok",  # every cell has a value: never incomplete
        "flags": flags,
        "sections": sections,
        "active_disclosure": ad,
        "applications": applications,
        "reviews": reviews,
        "checks": checks,
        "text": "\n".join(s["heading"] + "\n" + s["text"] for s in sections),
    }


def reports(n: int, *, seed: int = 2024, narrative_chars: int = 240) -> Iterator[dict[str, Any]]:
    """The first `n` synthetic reports (n may not exceed the distinct agency-years)."""
    limit = agency_count() * 6
    if n > limit:
        raise ValueError(f"only {limit} distinct agency-years, {n} asked")
    for i in range(n):
        yield make_report(i, seed=seed, narrative_chars=narrative_chars)
