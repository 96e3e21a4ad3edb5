"""Hand-over import (issues #3, #13): a 100,000-row file into PostgreSQL, against the real floor.

    .venv/bin/python bench/import_handover.py [--rows N] [--seed S] [--format xlsx|csv] [--profile]

Generates a realistic hand-over file with a fixed seed (default 100,000 rows; about 3 loans per
debtor, 10% companies, 20% of rows with 1-2 guarantors, collateral on a quarter of them, amounts
as numbers or as text with `¥` and `,`, dates in eight formats including Excel date cells and
serial numbers, eight branches, some assignees). The file is cached under bench/out/ keyed by
rows, seed and format, and generated in a child process so that its memory is not counted.

Absolute seconds differ twofold between machines (issue #13), so every figure is a ratio
against a floor measured in the same run. In a PostgreSQL database of its own (--database-url;
its name must contain "bench"; it is dropped, recreated and migrated), it times:
  read           python-calamine opening the file and iterating all its rows (for --format
                 csv: Python's csv reader), the median of 3 runs
  first import   `handover_import` of the file            goal <= 3.0 x floor
  re-import      the same unchanged file                  goal <= 2.5 x read
                 (must create and update nothing)
  COPY           every row the first import wrote, table by table (docket rows, deadlines,
                 audit entries, ...: the tables whose rows grew), selected from the real tables
                 (`COPY (SELECT ...) TO STDOUT`) and copied with `COPY ... FROM STDIN` into
                 identical, indexed tables (`CREATE TABLE ... (LIKE ... INCLUDING ALL)`); only
                 the FROM and the commit are timed, the median of 3 runs
  floor          read + COPY
  peak memory    ru_maxrss of this process after both imports (goal <= 1 GB)
The parsed values are then copied into a plain table and joined with the imported loans to
check that every value (dates above all) arrived as generated. --profile also imports the file
under cProfile into a second fresh copy of the migrated database, then re-imports it under
cProfile, and prints the top functions of each by cumulative time. Exit status 1 when a goal is
missed, 2 when the import is wrong.

DEBUG is off (as in production: with DEBUG on Django keeps every query); --debug turns it on.
E-mail (deadline alerts the import triggers) goes to Django's in-memory backend.
"""

import argparse
import csv
import io
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from floors import copy_seconds, table_marks, written_rows  # noqa: E402

from recovery.checks.identity import credit_code_with_check, resident_id_with_check  # noqa: E402

GOAL_FIRST_OVER_FLOOR = 3.0
GOAL_REIMPORT_OVER_READ = 2.5
GOAL_PEAK_MIB = 1024.0
REPEATS = 3  # runs of the read and of the COPY; their median counts
GENERATOR_VERSION = 1  # part of the cache key: bump when the generated data changes
CACHE_DIR = BASE_DIR / "bench" / "out"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/recovery_desk_bench"

HEADERS = (
    "合同编号",
    "借款人",
    "借款人类型",
    "证件号码",
    "手机号",
    "地址",
    "贷款金额",
    "本金余额",
    "利息余额",
    "罚息",
    "放款日",
    "到期日",
    "最后还款日",
    "担保方式",
    "保证人",
    "抵押物",
    "移交日期",
    "承办人",
    "机构",
)
# The plain table of the values check: the same columns, holding the parsed values.
COPY_COLUMNS = (
    ("contract_no", "text"),
    ("borrower", "text"),
    ("borrower_type", "text"),
    ("id_number", "text"),
    ("phone", "text"),
    ("address", "text"),
    ("loan_amount", "numeric(15,2)"),
    ("principal_outstanding", "numeric(15,2)"),
    ("interest_outstanding", "numeric(15,2)"),
    ("penalty_interest", "numeric(15,2)"),
    ("disbursed_on", "date"),
    ("due_on", "date"),
    ("last_payment_on", "date"),
    ("security_type", "text"),
    ("guarantors", "text"),
    ("collateral", "text"),
    ("handed_over_on", "date"),
    ("assignee", "text"),
    ("branch", "text"),
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方")
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志文晓东海燕红梅玉春丹秀娥萍辉鹏飞鑫宇浩然子涵"
    "欣怡梓轩雨桐思远俊杰嘉琪佳慧晨阳凯瑞婷雪琳颖斌波鹏"
)
CITIES = ("杭州", "宁波", "温州", "绍兴", "嘉兴", "湖州", "金华", "台州", "衢州", "丽水", "舟山")
DISTRICTS = (
    "西湖区",
    "上城区",
    "拱墅区",
    "滨江区",
    "萧山区",
    "余杭区",
    "鄞州区",
    "鹿城区",
    "越城区",
    "南湖区",
)
ROADS = (
    "文三路",
    "解放路",
    "中山北路",
    "人民路",
    "建设大道",
    "江南大道",
    "学院路",
    "凤起路",
    "延安路",
    "环城西路",
)
FIRM_WORDS = ("鑫源", "恒达", "华泰", "宏图", "永盛", "金桥", "瑞丰", "天成", "万通", "嘉禾", "盛世", "远航")
INDUSTRIES = ("贸易", "建材", "纺织", "机械", "电子", "食品", "物流", "实业", "科技", "置业", "服饰", "化工")
# Branch name and contract-number prefix.
BRANCHES = (
    ("杭州分行营业部", "HZ00"),
    ("西湖支行", "HZ01"),
    ("滨江支行", "HZ02"),
    ("萧山支行", "HZ03"),
    ("余杭支行", "HZ04"),
    ("宁波分行", "NB00"),
    ("温州分行", "WZ00"),
    ("绍兴分行", "SX00"),
)
AREA_CODES = ("330102", "330105", "330106", "330108", "330109", "330110", "330203", "330302", "330602")
USERS = ("zhangwei", "lina", "wangfang", "liuyang", "chenjie", "zhaomin")
USCC_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"
USCC_ALPHABET = "0123456789" + USCC_LETTERS
CHINESE_DIGITS = "〇一二三四五六七八九"
SECURITY_WORDS = {"credit": "信用", "guarantee": "保证", "mortgage": "抵押", "pledge": "质押"}
SECURITY_ORDER = ("credit", "guarantee", "mortgage", "pledge")
GUARANTEE_WORDS = {"joint": ("连带", "连带责任"), "general": ("一般", "一般保证")}
EXCEL_EPOCH = date(1899, 12, 30)
HANDOVER_DATES = (date(2024, 3, 29), date(2024, 6, 28), date(2024, 9, 27), date(2024, 12, 27))
# How a bank's export writes a date cell, and how often.
DATE_FORMATS = {
    "excel date cell": 35,
    "2023-05-26": 20,
    "2023/5/26": 12,
    "2023.5.26": 5,
    "20230526": 8,
    "2023年5月26日": 10,
    "二〇二三年五月二十六日": 5,
    "Excel serial": 5,
}
# How an amount is written: a number cell or text with thousands separators and symbols.
AMOUNT_FORMATS = {"number": 30, "1,234.56": 25, "¥1,234.56": 15, "1234.56元": 10, "1234.56": 20}


# --- generating the file -----------------------------------------------------------------


def chinese_numeral(number: int) -> str:
    """1-31 as written in a date: 五, 十, 十二, 二十, 二十六, 三十一."""
    tens, units = divmod(number, 10)
    if tens == 0:
        return CHINESE_DIGITS[units]
    return ("" if tens == 1 else CHINESE_DIGITS[tens]) + "十" + (CHINESE_DIGITS[units] if units else "")


class Generator:
    """Debtors, guarantors and loans drawn from one seeded random source."""

    def __init__(self, seed: int, file_format: str) -> None:
        self.rng = random.Random(seed)
        self.file_format = file_format
        self.ids: set[str] = set()
        self.formats_used: Counter[str] = Counter()

    def person_name(self) -> str:
        rng = self.rng
        surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
        return surname + "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2, 2))))

    def company_name(self) -> str:
        rng = self.rng
        return f"{rng.choice(CITIES)}{rng.choice(FIRM_WORDS)}{rng.choice(INDUSTRIES)}有限公司"

    def resident_id(self) -> str:
        rng = self.rng
        while True:
            born = date(1955, 1, 1) + timedelta(days=rng.randrange(45 * 365))
            number = resident_id_with_check(f"{rng.choice(AREA_CODES)}{born:%Y%m%d}{rng.randrange(1000):03d}")
            if number not in self.ids:
                self.ids.add(number)
                return number

    def credit_code(self) -> str:
        rng = self.rng
        while True:
            # The organisation code carries a letter, so the number cannot pass for a resident ID.
            organisation = [rng.choice(USCC_ALPHABET) for _ in range(9)]
            organisation[rng.randrange(8)] = rng.choice(USCC_LETTERS)
            code = credit_code_with_check(f"91{rng.choice(AREA_CODES)}{''.join(organisation)}")
            if code not in self.ids:
                self.ids.add(code)
                return code

    def phone(self) -> str:
        return f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"

    def address(self) -> str:
        rng = self.rng
        return (
            f"浙江省{rng.choice(CITIES)}市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 999)}号"
            f"{rng.randint(1, 30)}幢{rng.randint(1, 3)}单元{rng.randint(101, 2802)}室"
        )

    def party(self, company_share: float) -> dict[str, Any]:
        company = self.rng.random() < company_share
        return {
            "kind": "company" if company else "person",
            "name": self.company_name() if company else self.person_name(),
            "id_number": self.credit_code() if company else self.resident_id(),
        }

    def date_cell(self, day: date) -> object:
        rng = self.rng
        style = rng.choices(list(DATE_FORMATS), weights=list(DATE_FORMATS.values()))[0]
        self.formats_used[style] += 1
        if style == "excel date cell":
            return day if self.file_format == "xlsx" else f"{day:%Y-%m-%d} 00:00:00"
        if style == "Excel serial":
            serial = (day - EXCEL_EPOCH).days
            return serial if self.file_format == "xlsx" else str(serial)
        if style == "2023-05-26":
            return f"{day:%Y-%m-%d}"
        if style == "2023/5/26":
            return f"{day.year}/{day.month}/{day.day}"
        if style == "2023.5.26":
            return f"{day.year}.{day.month}.{day.day}"
        if style == "20230526":
            return f"{day:%Y%m%d}"
        if style == "2023年5月26日":
            return f"{day.year}年{day.month}月{day.day}日"
        year = "".join(CHINESE_DIGITS[int(digit)] for digit in str(day.year))
        return f"{year}年{chinese_numeral(day.month)}月{chinese_numeral(day.day)}日"

    def amount_cell(self, amount: Decimal) -> object:
        style = self.rng.choices(list(AMOUNT_FORMATS), weights=list(AMOUNT_FORMATS.values()))[0]
        if style == "number":
            return float(amount) if self.file_format == "xlsx" else str(amount)
        if style == "1,234.56":
            return f"{amount:,}"
        if style == "¥1,234.56":
            return f"¥{amount:,}"
        if style == "1234.56元":
            return f"{amount}元"
        return str(amount)

    def money(self, low: int, high: int) -> Decimal:
        """Yuan with two decimals, log-uniform between low and high."""
        value = low * (high / low) ** self.rng.random()
        return Decimal(round(value * 100)).scaleb(-2)

    def collateral_item(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.6:
            return f"房产：{self.address()}"
        if kind < 0.8:
            return f"车辆：浙{rng.choice('ABCDEFGHJ')}{rng.randrange(10**5):05d}"
        if kind < 0.9:
            return f"土地使用权：{rng.choice(CITIES)}{rng.choice(DISTRICTS)}{rng.randint(1, 300)}号地块"
        return f"存单：{rng.randrange(10**12):012d}"

    def records(self, rows: int) -> tuple[list[tuple[dict[str, Any], list[object]]], dict[str, Any]]:  # noqa: C901  one seeded draw after another: split, the file it generates would change
        """`rows` (parsed values, cells as written) pairs in file order, and facts about them."""
        rng = self.rng
        guarantor_pool = [self.party(0.05) for _ in range(max(rows // 10, 10))]
        # A guarantor gives the same kind of guarantee wherever it appears in the file.
        guarantee_of: dict[str, str] = {}
        borrowers: list[dict[str, Any]] = []
        records: list[tuple[dict[str, Any], list[object]]] = []
        cases: set[tuple[str, str]] = set()
        case_owner: dict[tuple[str, str], int] = {}
        sequence = 0
        while len(records) < rows:
            debtor = self.party(0.10)
            borrowers.append(debtor)
            phones = [self.phone() for _ in range(rng.choice((0, 1, 1, 1, 2)))]
            address = self.address() if rng.random() < 0.85 else ""
            home = rng.randrange(len(BRANCHES))
            loans = rng.choices((1, 2, 3, 4, 5, 6), weights=(20, 20, 22, 18, 12, 8))[0]
            for _ in range(min(loans, rows - len(records))):
                branch_index = home if rng.random() < 0.9 else rng.randrange(len(BRANCHES))
                branch, prefix = BRANCHES[branch_index]
                cases.add((debtor["id_number"], branch))
                # One assignee per case (debtor, branch), named on some of its rows only.
                owner = case_owner.setdefault((debtor["id_number"], branch), rng.randrange(len(USERS) + 2))
                assignee = ""
                if owner < len(USERS) and rng.random() < 0.7:
                    assignee = USERS[owner] if rng.random() < 0.8 else f"{USERS[owner]}@bank.example"

                disbursed = date(2013, 1, 1) + timedelta(days=rng.randrange(10 * 365))
                due = disbursed + timedelta(days=rng.choice((365, 730, 1095, 1826)) + rng.randrange(-5, 5))
                handed_over = rng.choice(HANDOVER_DATES)
                last_payment = None
                if rng.random() < 0.7:
                    latest = min(due, handed_over)
                    span = (latest - disbursed).days
                    last_payment = disbursed + timedelta(days=rng.randrange(30, span) if span > 30 else 0)
                amount = self.money(20_000, 5_000_000)
                principal = (amount * Decimal(rng.uniform(0.05, 1))).quantize(Decimal("0.01"))
                interest = self.money(100, 500_000) if rng.random() < 0.8 else Decimal("0.00")
                penalty = self.money(10, 100_000) if rng.random() < 0.5 else Decimal("0.00")

                guarantors = []
                if rng.random() < 0.20:
                    for _ in range(rng.choice((1, 1, 2))):
                        # Now and then debtors guarantee each other.
                        if len(borrowers) > 1 and rng.random() < 0.2:
                            guarantor = borrowers[rng.randrange(len(borrowers) - 1)]
                        else:
                            guarantor = rng.choice(guarantor_pool)
                        if guarantor["id_number"] == debtor["id_number"] or guarantor in guarantors:
                            continue
                        guarantors.append(guarantor)
                collateral = [self.collateral_item() for _ in range(rng.choice((1, 1, 2)))]
                if rng.random() >= 0.25:
                    collateral = []
                security = set()
                if guarantors:
                    security.add("guarantee")
                if any(item.startswith("存单") for item in collateral):
                    security.add("pledge")
                if any(not item.startswith("存单") for item in collateral):
                    security.add("mortgage")
                if not security and rng.random() < 0.9:
                    security.add("credit")
                security_codes = [code for code in SECURITY_ORDER if code in security]

                sequence += 1
                contract_no = f"{prefix}-{disbursed.year}-{sequence:07d}"
                guarantor_values, guarantor_texts = [], []
                for guarantor in guarantors:
                    kind = guarantee_of.setdefault(
                        guarantor["id_number"], "joint" if rng.random() < 0.7 else "general"
                    )
                    guarantor_values.append(f"{guarantor['name']},{guarantor['id_number']},{kind}")
                    comma = "，" if rng.random() < 0.1 else ","
                    if kind == "general" and rng.random() < 0.5:  # no type written: general (CC 686)
                        guarantor_texts.append(f"{guarantor['name']}{comma}{guarantor['id_number']}")
                    else:
                        word = rng.choice(GUARANTEE_WORDS[kind])
                        guarantor_texts.append(
                            f"{guarantor['name']}{comma}{guarantor['id_number']}{comma}{word}"
                        )
                row_phones = phones[:]
                if phones and rng.random() < 0.1:
                    row_phones.append(self.phone())  # a number the bank learnt later
                phone_text = rng.choice((";", "、", "；")).join(row_phones)
                if row_phones and rng.random() < 0.05:
                    phone_text = "+86 " + "-".join((row_phones[0][:3], row_phones[0][3:7], row_phones[0][7:]))
                    row_phones = row_phones[:1]
                if debtor["kind"] == "company" or rng.random() < 0.6:
                    declared_type = "企业" if debtor["kind"] == "company" else "个人"
                else:
                    declared_type = ""

                values = {
                    "contract_no": contract_no,
                    "borrower": debtor["name"],
                    "borrower_type": debtor["kind"],
                    "id_number": debtor["id_number"],
                    "phone": ";".join(row_phones),
                    "address": address,
                    "loan_amount": amount,
                    "principal_outstanding": principal,
                    "interest_outstanding": interest,
                    "penalty_interest": penalty,
                    "disbursed_on": disbursed,
                    "due_on": due,
                    "last_payment_on": last_payment,
                    "security_type": ",".join(security_codes),
                    "guarantors": ";".join(guarantor_values),
                    "collateral": ";".join(collateral),
                    "handed_over_on": handed_over,
                    "assignee": assignee.partition("@")[0],
                    "branch": branch,
                }
                cells: list[object] = [
                    contract_no,
                    debtor["name"],
                    declared_type,
                    debtor["id_number"],
                    phone_text,
                    address,
                    self.amount_cell(amount),
                    self.amount_cell(principal),
                    self.amount_cell(interest) if interest or rng.random() < 0.5 else "",
                    self.amount_cell(penalty) if penalty or rng.random() < 0.3 else "",
                    self.date_cell(disbursed),
                    self.date_cell(due),
                    self.date_cell(last_payment) if last_payment else "",
                    rng.choice(("+", "、")).join(SECURITY_WORDS[code] for code in security_codes),
                    rng.choice((";", "；")).join(guarantor_texts),
                    ";".join(collateral),
                    self.date_cell(handed_over),
                    assignee,
                    branch,
                ]
                records.append((values, cells))
        rng.shuffle(records)  # exports are sorted by neither debtor nor branch
        guarantor_ids = {
            entry.split(",")[1] for values, _ in records for entry in values["guarantors"].split(";") if entry
        }
        facts = {
            "rows": len(records),
            "debtors": len(borrowers),
            "parties": len({values["id_number"] for values, _ in records} | guarantor_ids),
            "cases": len(cases),
            "rows_with_guarantors": sum(1 for values, _ in records if values["guarantors"]),
            "rows_with_collateral": sum(1 for values, _ in records if values["collateral"]),
            "date_formats": dict(self.formats_used.most_common()),
        }
        return records, facts


def copy_line(values: dict[str, Any]) -> str:
    """One line of PostgreSQL's COPY text format (\\N for NULL; no tabs or newlines occur)."""
    fields = []
    for name, _type in COPY_COLUMNS:
        value = values[name]
        fields.append("\\N" if value is None else str(value))
    return "\t".join(fields) + "\n"


def generate(path: Path, rows: int, seed: int, file_format: str) -> None:
    """Write the hand-over file, the parsed values for COPY (.tsv) and the facts (.json)."""
    records, facts = Generator(seed, file_format).records(rows)
    partial = path.with_suffix(path.suffix + ".partial")
    if file_format == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("不良贷款移交清单")
        sheet.append(HEADERS)
        for _values, cells in records:
            sheet.append(cells)
        workbook.save(partial)
    else:
        with open(partial, "w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(HEADERS)
            writer.writerows(cells for _values, cells in records)
    values_path(path).write_text("".join(copy_line(values) for values, _ in records), encoding="utf-8")
    facts_path(path).write_text(json.dumps(facts, ensure_ascii=False, indent=1), encoding="utf-8")
    partial.replace(path)  # last: the file exists only when all three are complete


def values_path(path: Path) -> Path:
    return path.with_suffix(".values.tsv")


def facts_path(path: Path) -> Path:
    return path.with_suffix(".facts.json")


def ensure_file(rows: int, seed: int, file_format: str) -> Path:
    path = CACHE_DIR / f"handover-v{GENERATOR_VERSION}-{rows}-{seed}.{file_format}"
    if path.exists():
        print(f"file: {path.relative_to(BASE_DIR)} (cached)", flush=True)
        return path
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    print(f"generating {rows:,} rows (seed {seed}) as .{file_format}…", flush=True)
    started = time.perf_counter()
    # In a child process: the generator's memory must not count in this process's peak.
    child = multiprocessing.get_context("fork").Process(target=generate, args=(path, rows, seed, file_format))
    child.start()
    child.join()
    if child.exitcode != 0 or not path.exists():
        raise SystemExit(f"generating {path} failed")
    print(f"file: {path.relative_to(BASE_DIR)} ({time.perf_counter() - started:.1f} s)", flush=True)
    return path


# --- the database ------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def recreate_database(url: str, name: str, template: str | None = None) -> None:
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(with_database(url, "postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            cursor.execute(create)
    finally:
        connection.close()


def drop_database(url: str, name: str) -> None:
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(with_database(url, "postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        connection.close()


def setup_django(url: str, debug: bool) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if not debug:
        os.environ["DEBUG"] = "false"
        os.environ.setdefault("SECRET_KEY", "bench-import-handover-not-secret")
    # Deadline alerts the import triggers go to memory, not to mail files under var/.
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    import django

    django.setup()


def prepare_database(url: str, name: str) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    started = time.perf_counter()
    recreate_database(url, name)
    call_command("migrate", verbosity=0, interactive=False)
    for username in USERS:
        get_user_model().objects.create_user(username=username, email=f"{username}@bank.example")
    connections.close_all()
    print(f"database: {name} created and migrated ({time.perf_counter() - started:.1f} s)", flush=True)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_import(path: Path) -> tuple[Any, float, float]:
    """The outcome, wall seconds and CPU seconds of an import of `path`."""
    from recovery.services.handover_import import handover_import

    wall_started, cpu_started = time.perf_counter(), time.process_time() + children_cpu()
    outcome = handover_import(source=path, user=None)
    cpu = time.process_time() + children_cpu() - cpu_started
    return outcome, time.perf_counter() - wall_started, cpu


def check_outcome(label: str, outcome: Any, expected: dict[str, int]) -> list[str]:
    summary = outcome.as_json()
    problems = [
        f"{label}: {name} = {summary[name]}, expected {value}"
        for name, value in expected.items()
        if summary[name] != value
    ]
    for error in summary["errors"][:5]:
        problems.append(
            f"{label}: row {error['row']} {error['column']} {error['value']!r}: {error['message']}"
        )
    return problems


# --- the floor -----------------------------------------------------------------------------


def read_seconds(path: Path) -> tuple[float, int]:
    """Seconds to read every row of the file as plainly as the library allows, and the rows."""
    started = time.perf_counter()
    if path.suffix == ".xlsx":
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        try:
            count = sum(1 for _row in workbook.get_sheet_by_index(0).iter_rows())
        finally:
            workbook.close()
    else:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            count = sum(1 for _row in csv.reader(stream))
    return time.perf_counter() - started, count


# --- the values check ------------------------------------------------------------------------


def values_arrived(path: Path) -> tuple[int, int]:
    """COPY the parsed rows into a plain table; count the imported loans that match them.
    Returns (rows copied, loans matching)."""
    from django.db import connection

    data = io.StringIO(values_path(path).read_text(encoding="utf-8"))
    columns = ", ".join(f"{name} {type_}" for name, type_ in COPY_COLUMNS)
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute(
            f"DROP TABLE IF EXISTS bench_handover_copy; CREATE TABLE bench_handover_copy ({columns})"
        )
        cursor.copy_expert("COPY bench_handover_copy FROM STDIN", data)
        cursor.execute("SELECT count(*) FROM bench_handover_copy")
        copied = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT count(*)
            FROM bench_handover_copy c
            JOIN recovery_loan l ON l.contract_no = c.contract_no
            JOIN recovery_branch b ON b.id = l.branch_id
            JOIN recovery_case k ON k.id = l.case_id
            JOIN recovery_party p ON p.id = k.debtor_id
            WHERE l.amount = c.loan_amount
              AND l.principal_outstanding = c.principal_outstanding
              AND l.interest_outstanding = c.interest_outstanding
              AND l.penalty_interest = c.penalty_interest
              AND l.disbursed_on = c.disbursed_on
              AND l.due_on = c.due_on
              AND l.last_payment_on IS NOT DISTINCT FROM c.last_payment_on
              AND l.handed_over_on = c.handed_over_on
              AND l.security_types = c.security_type
              AND b.name = c.branch
              AND p.id_number = c.id_number
              AND p.kind = c.borrower_type
            """
        )
        matching = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_handover_copy")
        raw.commit()
    return copied, matching


def profile_imports(url: str, name: str, template: str, path: Path, top: int) -> None:
    import cProfile
    import pstats

    from django.db import connections

    connections.close_all()
    recreate_database(url, name, template=template)
    from recovery.services.handover_import import handover_import

    for label in ("a first import", "a re-import of the unchanged file"):
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        handover_import(source=path, user=None)
        profiler.disable()
        print(f"\nprofile of {label} ({time.perf_counter() - started:.1f} s under cProfile):")
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(top)
        print(stream.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20250526)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL database to drop, recreate and use (its name must contain 'bench')",
    )
    parser.add_argument("--profile", action="store_true", help="also profile both imports (cProfile)")
    parser.add_argument("--top", type=int, default=25, help="functions listed by --profile")
    parser.add_argument("--debug", action="store_true", help="run with DEBUG on (keeps every query)")
    args = parser.parse_args()

    name = urlsplit(args.database_url).path.lstrip("/")
    if "bench" not in name:
        parser.error(f"refusing to drop {name!r}: the database name must contain 'bench'")
    path = ensure_file(args.rows, args.seed, args.format)
    facts = json.loads(facts_path(path).read_text(encoding="utf-8"))
    print(
        f"  {facts['rows']:,} rows, {facts['debtors']:,} debtors, {facts['parties']:,} parties, "
        f"{facts['cases']:,} cases; {facts['rows_with_guarantors']:,} rows with guarantors, "
        f"{facts['rows_with_collateral']:,} with collateral; {path.stat().st_size / 2**20:.1f} MiB"
    )
    print(
        "  date cells: " + ", ".join(f"{style} {count:,}" for style, count in facts["date_formats"].items())
    )
    print(f"  load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)

    setup_django(args.database_url, args.debug)
    prepare_database(args.database_url, name)
    template = f"{name}_clean"
    if args.profile:
        recreate_database(args.database_url, template, template=name)
    rows = facts["rows"]
    problems: list[str] = []

    print("reading the file…", flush=True)
    reads = [read_seconds(path) for _run in range(REPEATS)]
    read = statistics.median([seconds for seconds, _count in reads])
    if reads[0][1] < rows + 1:
        problems.append(f"read: {reads[0][1]:,} rows, expected {rows + 1:,} with the header")
    baseline = peak_rss_mib()

    before = table_marks()
    print("first import…", flush=True)
    first, first_seconds, first_cpu = timed_import(path)
    problems += check_outcome(
        "first import",
        first,
        {"rows": rows, "created": rows, "updated": 0, "rejected": 0, "cases_created": facts["cases"]},
    )
    after_first = table_marks()
    print("re-import of the unchanged file…", flush=True)
    again, again_seconds, again_cpu = timed_import(path)
    problems += check_outcome(
        "re-import", again, {"rows": rows, "created": 0, "updated": 0, "unchanged": rows, "rejected": 0}
    )
    peak = peak_rss_mib()
    after_again = table_marks()
    rewritten = written_rows(after_first, after_again)

    written = written_rows(before, after_first)
    print("COPY of the rows the first import wrote…", flush=True)
    copy = copy_seconds(written, repeat=REPEATS)
    floor = read + copy
    copied, matching = values_arrived(path)
    if copied != rows:
        problems.append(f"values: {copied} rows copied, expected {rows}")
    if matching != rows:
        problems.append(f"values: {matching:,} of {rows:,} imported loans match the generated values")

    def verdict(ratio: float, goal: float, of: str) -> str:
        return f"{ratio:6.2f} x {of:5} goal <= {goal:.1f} x  {'met' if ratio <= goal else 'MISSED'}"

    first_ratio, again_ratio = first_seconds / floor, again_seconds / read
    print()
    print("rows the first import wrote: " + ", ".join(f"{t} {n:,}" for t, (n, _c) in sorted(written.items())))
    print(
        "rows the re-import wrote:    "
        + (", ".join(f"{t} {n:,}" for t, (n, _c) in sorted(rewritten.items())) or "none")
    )
    total = sum(count for count, _condition in written.values())
    print()
    print(f"{'':16}{'wall s':>8}{'CPU s':>8}{'rows/s':>10}")
    print(f"{'read':16}{read:8.2f}{'':8}{rows / read:10,.0f}   python-calamine, all rows")
    print(f"{'COPY':16}{copy:8.2f}{'':8}{total / copy:10,.0f}   {total:,} rows into {len(written)} tables")
    print(f"{'floor':16}{floor:8.2f}{'':8}{'':10}   read + COPY")
    print(
        f"{'first import':16}{first_seconds:8.1f}{first_cpu:8.1f}{rows / first_seconds:10,.0f}   "
        + verdict(first_ratio, GOAL_FIRST_OVER_FLOOR, "floor")
    )
    print(
        f"{'re-import':16}{again_seconds:8.1f}{again_cpu:8.1f}{rows / again_seconds:10,.0f}   "
        + verdict(again_ratio, GOAL_REIMPORT_OVER_READ, "read")
    )
    print(
        f"peak RSS: {peak:,.0f} MiB (after setup and the reads {baseline:,.0f} MiB)   "
        f"goal <= {GOAL_PEAK_MIB:,.0f} MiB  {'met' if peak <= GOAL_PEAK_MIB else 'MISSED'}"
    )
    print(f"values: {matching:,} of {rows:,} imported loans match the generated ones")

    if args.profile:
        profile_imports(args.database_url, name, template, path, args.top)
        drop_database(args.database_url, template)

    if problems:
        print("\nthe import is wrong:\n  " + "\n  ".join(problems))
        return 2
    missed = (
        first_ratio > GOAL_FIRST_OVER_FLOOR or again_ratio > GOAL_REIMPORT_OVER_READ or peak > GOAL_PEAK_MIB
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
