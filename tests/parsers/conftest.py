"""Shared helpers for the parser-core tests: seeds, truth, and running the analyser."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nianbao.parsers import Document, Paragraph, extract_text, report

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "tests" / "fixtures" / "seeds"
FIXTURES = REPO / "tests" / "fixtures" / "parsers"
SEED_NAMES = sorted(p.stem for p in SEEDS.glob("*.txt"))


def cell_key(c: dict[str, Any]) -> tuple:
    """The identity of a cell in any of the three tables."""
    return tuple(c.get(k) for k in ("article", "item", "metric", "row", "applicant",
                                    "stage", "outcome"))


def table_cells(doc: dict[str, Any]) -> dict[tuple, dict[str, Any]]:
    """All cells of a report (or truth) by identity."""
    return {cell_key(c): c for k in ("active_disclosure", "applications", "reviews")
            for c in doc.get(k) or []}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests asking for `seed_name` run once per seed report."""
    if "seed_name" in metafunc.fixturenames:
        metafunc.parametrize("seed_name", SEED_NAMES)


@pytest.fixture(name="table_cells")
def table_cells_fixture() -> Callable[[dict[str, Any]], dict[tuple, dict[str, Any]]]:
    """`table_cells` for tests (helpers cannot be imported under --import-mode=importlib)."""
    return table_cells


@pytest.fixture
def seed_names() -> list[str]:
    """Stems of the seed files."""
    return list(SEED_NAMES)


@pytest.fixture
def analyse_text() -> Callable[..., dict[str, Any]]:
    """Analyse a text given as a str (one Paragraph per line), as the text extractor would."""
    def run(text: str, source: str = "test.txt", hints: dict | None = None,
            meta: dict | None = None) -> dict[str, Any]:
        doc = extract_text.extract(text.encode("utf-8"), source)
        if meta:
            doc.meta.update(meta)
        return report.analyse(doc, hints or {})
    return run


@pytest.fixture
def analyse_blocks() -> Callable[..., dict[str, Any]]:
    """Analyse a Document built from blocks (Paragraph lines and Table grids)."""
    def run(blocks: list, source: str = "blocks.html", kind: str = "html") -> dict[str, Any]:
        doc = Document(source=source, kind=kind,
                       blocks=[Paragraph(b) if isinstance(b, str) else b for b in blocks])
        return report.analyse(doc, {})
    return run


@pytest.fixture(scope="session")
def seed_results() -> dict[str, dict[str, Any]]:
    """Every seed analysed once, by file stem."""
    out = {}
    for name in SEED_NAMES:
        path = SEEDS / f"{name}.txt"
        out[name] = report.analyse(extract_text.extract(path.read_bytes(), str(path)), {})
    return out


@pytest.fixture(scope="session")
def truths() -> dict[str, dict[str, Any]]:
    """Hand-checked truth of every seed, by file stem."""
    return {name: json.loads((SEEDS / "truth" / f"{name}.json").read_text("utf-8"))
            for name in SEED_NAMES}


@pytest.fixture
def seed_text() -> Callable[[str], str]:
    """The text of a seed by its number prefix ("000")."""
    def read(prefix: str) -> str:
        path = next(SEEDS.glob(f"{prefix}_*.txt"))
        return path.read_text("utf-8")
    return read


APP_LABELS_2019 = [
    ("1", "一、本年新收政府信息公开申请数量"), ("2", "二、上年结转政府信息公开申请数量"),
    ("3.1", "三、本年度办理结果\t（一）予以公开"),
    ("3.2", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("3.3.1", "（三）不予公开\t1.属于国家秘密"), ("3.3.2", "2.其他法律行政法规禁止公开"),
    ("3.3.3", "3.危及“三安全一稳定”"), ("3.3.4", "4.保护第三方合法权益"),
    ("3.3.5", "5.属于三类内部事务信息"), ("3.3.6", "6.属于四类过程性信息"),
    ("3.3.7", "7.属于行政执法案卷"), ("3.3.8", "8.属于行政查询事项"),
    ("3.4.1", "（四）无法提供\t1.本机关不掌握相关政府信息"), ("3.4.2", "2.没有现成信息需要另行制作"),
    ("3.4.3", "3.补正后申请内容仍不明确"), ("3.5.1", "（五）不予处理\t1.信访举报投诉类申请"),
    ("3.5.2", "2.重复申请"), ("3.5.3", "3.要求提供公开出版物"), ("3.5.4", "4.无正当理由大量反复申请"),
    ("3.5.5", "5.要求行政机关确认或重新出具已获取信息"), ("3.6", "（六）其他处理"),
    ("3.7", "（七）总计"), ("4", "四、结转下年度继续办理"),
]
SPLIT_36 = [("3.6.1", "（六）其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
            ("3.6.2", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
            ("3.6.3", "3.其他")]

ACTIVE_2019 = """第二十条第（一）项
信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量
规章\t0\t0\t0
规范性文件\t3\t3\t20
第二十条第（五）项
信息内容\t上一年项目数量\t本年增/减\t处理决定数量
行政许可\t10\t-2\t300
其他对外管理服务事项\t5\t+1\t40
第二十条第（六）项
信息内容\t上一年项目数量\t本年增/减\t处理决定数量
行政处罚\t7\t0\t12
行政强制\t0\t0\t0
第二十条第（八）项
信息内容\t上一年项目数量\t本年增/减
行政事业性收费\t1\t0
第二十条第（九）项
信息内容\t采购项目数量\t采购总金额
政府集中采购\t4\t251000元"""

ACTIVE_2021 = """第二十条第（一）项
信息内容\t本年制发件数\t本年废止件数\t现行有效件数
规章\t0\t0\t0
{regulatory}\t2\t1\t15
第二十条第（五）项
信息内容\t本年处理决定数量
行政许可\t120
第二十条第（六）项
信息内容\t本年处理决定数量
行政处罚\t33
行政强制\t0
第二十条第（八）项
信息内容\t本年收费金额（单位：万元）
行政事业性收费\t5949.088667"""


def consistent_rows(split_other: bool) -> dict[str, list[int]]:
    """Application figures that satisfy every rule of the template."""
    z = [0] * 7
    rows = {rid: list(z) for rid, _ in APP_LABELS_2019 + SPLIT_36}
    rows["1"] = [5, 2, 0, 0, 0, 1, 8]
    rows["2"] = [1, 0, 0, 0, 0, 0, 1]
    rows["3.1"] = [3, 1, 0, 0, 0, 1, 5]
    rows["3.4.1"] = [2, 1, 0, 0, 0, 0, 3]
    rows["3.7"] = [5, 2, 0, 0, 0, 1, 8]
    rows["4"] = [1, 0, 0, 0, 0, 0, 1]
    if split_other:
        rows.pop("3.6")
    else:
        for k in ("3.6.1", "3.6.2", "3.6.3"):
            rows.pop(k)
    return rows


def build_report(year: int = 2020, *, active: str = ACTIVE_2019, split_other: bool = False,
                 rows: dict[str, list[str | int]] | None = None,
                 reviews: list[str | int] | None = None, agency: str = "广州市测试局") -> str:
    """A complete report in the tab-separated form of seed 000, built from parts."""
    rows = rows if rows is not None else consistent_rows(split_other)
    labels = [x for x in APP_LABELS_2019 if not (split_other and x[0] == "3.6")]
    if split_other:
        i = next(n for n, x in enumerate(labels) if x[0] == "3.7")
        labels[i:i] = SPLIT_36
    app_lines = ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况",
                 "\t\t自然人\t法人或其他组织\t\t\t\t\t总计",
                 "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他"]
    for rid, label in labels:
        if rid in rows:
            app_lines.append(label + "\t" + "\t".join(str(v) for v in rows[rid]))
    reviews = reviews if reviews is not None else [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    return "\n".join([
        f"{agency}{year}年政府信息公开工作年度报告",
        "一、总体情况",
        f"{year}年，我局认真贯彻《中华人民共和国政府信息公开条例》，做好政府信息公开工作。",
        "二、主动公开政府信息情况",
        active,
        "三、收到和处理政府信息公开申请情况",
        *app_lines,
        "四、政府信息公开行政复议、行政诉讼情况",
        "行政复议\t\t\t\t\t行政诉讼",
        "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉",
        "\t\t\t\t\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计",
        "\t".join(str(v) for v in reviews),
        "五、存在的主要问题及改进情况",
        "公开渠道不够丰富，下一步将加强培训。",
        "六、其他需要报告的事项",
        "无。",
    ])


@pytest.fixture(name="build_report")
def build_report_fixture() -> Callable[..., str]:
    """`build_report` for tests."""
    return build_report


@pytest.fixture(name="consistent_rows")
def consistent_rows_fixture() -> Callable[[bool], dict[str, list[int]]]:
    """`consistent_rows` for tests."""
    return consistent_rows


@pytest.fixture(name="active_2021")
def active_2021_fixture() -> str:
    """Section 二 of a 2021-format report, with {regulatory} for the 20.1 item label."""
    return ACTIVE_2021
