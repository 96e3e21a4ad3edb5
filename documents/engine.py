"""Court documents from .docx templates written in docxtpl's syntax (contract: document-templates.md).

A template is compiled once per version and rendered many times:

* `compile_template(data)` opens the .docx, merges every placeholder that Word split over
  several runs into the run holding its first character (so the result takes that run's
  formatting), turns `{%p ... %}` paragraphs and `{%tr ... %}` table rows into bare Jinja
  statements, checks the statements pair up without breaking the XML, refuses names outside the
  declared set, and compiles one Jinja template per part that holds tags (document.xml, and the
  headers and footers that have any). The parts without tags are zipped once, here.
* `CompiledTemplate.render(context)` renders only those parts and appends them to a copy of the
  prebuilt zip: no re-reading, re-patching or re-compiling per document, which is what makes
  docxtpl's own `render()` slow (its issue #110; figures in bench/render_documents.py).

Every problem is a `TemplateProblem` whose message names the placeholder and where it stands
("paragraph 3", "table 1 row 2 cell 4", "header (word/header1.xml) paragraph 1").

The Jinja delimiters in the compiled source are private-use characters, so braces anywhere else
in the XML are plain text, and each tag starts a line of its own, so a Jinja error's line number
leads back to the tag and its place.
"""

import io
import re
import sys
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from itertools import accumulate
from typing import Any

import jinja2
from jinja2 import meta, nodes
from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_P = f"{{{W_NS}}}p"
W_T = f"{{{W_NS}}}t"
W_TR = f"{{{W_NS}}}tr"
W_TC = f"{{{W_NS}}}tc"
W_TBL = f"{{{W_NS}}}tbl"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

DOCUMENT_PART = "word/document.xml"
HEADER_FOOTER_PART = re.compile(r"^word/(header|footer)\d*\.xml$")

# The names of a case's document context (the contract's "Names available" table).
DOCUMENT_NAMES = frozenset(
    {
        "case",
        "today",
        "as_of",
        "creditor",
        "court",
        "borrower",
        "defendants",
        "loans",
        "totals",
        "lawsuit",
        "judgment",
        "enforcement",
        "assets",
        "measures",
    }
)

# Largest sum of the template's declared unpacked sizes: a Word template is a few megabytes.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024

VAR_START, VAR_END = "\ue000", "\ue001"
BLOCK_START, BLOCK_END = "\ue002", "\ue003"
MARK_START, MARK_END = "\ue010", "\ue011"
MARK = re.compile(f"{MARK_START}(\\d+){MARK_END}")
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
OPENER = re.compile(r"\{\{|\{%|\{#")
# Word's typographic quotes inside a tag are Python's quotes to whoever typed them.
QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})

BLOCK_OPENERS = frozenset({"if", "for", "macro", "call", "filter", "with", "block", "autoescape"})
BLOCK_MIDDLES = {"elif": frozenset({"if"}), "else": frozenset({"if", "for"})}
JINJA_BUILTIN_NAMES = frozenset({"loop", "caller", "varargs", "kwargs"})


class TemplateProblem(ValueError):
    """A template that cannot be compiled or rendered; the message names the tag and its place."""


@dataclass(frozen=True)
class Tag:
    source: str  # as written, e.g. "{%p if loans %}"
    kind: str  # "var", "block" or "comment"
    level: str  # "" (inline), "p" or "tr"
    body: str  # the Jinja inside the delimiters, level prefix removed
    place: str
    path: tuple[str, ...]  # element names from the part's root down to where the tag's output goes
    anchor: tuple[int, ...]  # identities of those elements, to find the common ancestor of a pair

    @property
    def word(self) -> str:
        """The statement's keyword (`if`, `endfor`, ...), "" for a placeholder."""
        return self.body.strip().lstrip("-").split(" ", 1)[0].split("(", 1)[0] if self.kind == "block" else ""

    def jinja(self) -> str:
        body = " ".join(self.body.splitlines())
        if self.kind == "var":
            return f"{VAR_START}\n{body}{VAR_END}"
        if self.kind == "block":
            dash = "-" if body.startswith("-") else ""
            return f"{BLOCK_START}{dash}\n{body[len(dash) :]}{BLOCK_END}"
        return ""

    def describe(self) -> str:
        return f"{self.source} ({self.place})"


# --- filters ----------------------------------------------------------------------------------


def cn_date(value: date | None) -> str:
    """`2024-01-08` → `2024年1月8日`; a missing date prints nothing."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def _amount_filter(name: str) -> Callable[[Any], str]:
    def apply(value: Any) -> str:
        if value is None:
            return ""
        # Imported on first use: the amount formats live in documents.amount_words.
        from documents import amount_words

        function: Callable[[Decimal], str] = getattr(amount_words, name)
        return function(value if isinstance(value, Decimal) else Decimal(str(value)))

    apply.__name__ = name
    return apply


def register_filters(env: jinja2.Environment) -> None:
    """The filters of the template language: `money`, `words` (人民币大写) and `cn_date`."""
    env.filters["money"] = _amount_filter("money")
    env.filters["words"] = _amount_filter("amount_in_words")
    env.filters["cn_date"] = cn_date


def _finalize(value: Any) -> Any:
    # A missing value prints nothing rather than "None"; dates print ISO (str(date) is ISO).
    return "" if value is None else value


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(  # noqa: S701 -- autoescape is on: XML escaping is HTML's for text
        variable_start_string=VAR_START,
        variable_end_string=VAR_END,
        block_start_string=BLOCK_START,
        block_end_string=BLOCK_END,
        comment_start_string="\ue004",
        comment_end_string="\ue005",
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=True,
    )
    register_filters(env)
    return env


ENVIRONMENT = make_environment()


# --- reading a part: places, run merging, p/tr statements -------------------------------------


class _Places:
    """Where each paragraph of a part stands, as a person reading the document would count."""

    def __init__(self, root: etree._Element, prefix: str) -> None:
        self.prefix = prefix
        self.places: dict[etree._Element, str] = {}
        paragraph = table = 0
        for element in root.iter(W_P, W_TBL):
            if element.tag == W_TBL:
                if not any(a.tag == W_TBL for a in element.iterancestors(W_TBL)):
                    table += 1
                    self._number_cells(element, table)
            elif element not in self.places:
                paragraph += 1
                self.places[element] = f"{prefix}paragraph {paragraph}"

    def _number_cells(self, table: etree._Element, number: int) -> None:
        rows = [row for row in table.iter(W_TR) if _nearest(row, W_TBL) is table]
        for row_number, row in enumerate(rows, 1):
            cells = [cell for cell in row.iter(W_TC) if _nearest(cell, W_TR) is row]
            for cell_number, cell in enumerate(cells, 1):
                place = f"{self.prefix}table {number} row {row_number} cell {cell_number}"
                for paragraph in cell.iter(W_P):
                    self.places[paragraph] = place


def _nearest(element: etree._Element, tag: str) -> etree._Element | None:
    return next(element.iterancestors(tag), None)


def _own_texts(paragraph: etree._Element) -> list[etree._Element]:
    """The paragraph's w:t elements, not those of paragraphs nested in it (text boxes)."""
    return [t for t in paragraph.iter(W_T) if _nearest(t, W_P) is paragraph]


def _anchor(element: etree._Element) -> tuple[tuple[str, ...], tuple[int, ...]]:
    chain = [element, *element.iterancestors()][::-1]
    return tuple(e.tag for e in chain), tuple(id(e) for e in chain)


def _make_tag(source: str, place: str, holder: etree._Element) -> Tag:
    opener = source[:2]
    inner = source[2:-2].translate(QUOTES)
    kind = {"{{": "var", "{%": "block", "{#": "comment"}[opener]
    level = ""
    match = re.match(r"(p|tr|tc|r)\s", inner)
    if match:
        level = match.group(1)
        inner = inner[match.end() :]
        if level in ("tc", "r"):
            raise TemplateProblem(f"{source} ({place}): only {{%p ...%}} and {{%tr ...%}} are supported")
    path, anchor = _anchor(holder)
    return Tag(source=source, kind=kind, level=level, body=inner, place=place, path=path, anchor=anchor)


def _check_closed(full: str, place: str) -> None:
    rest = TAG.sub("", full)
    leftover = OPENER.search(rest)
    if leftover:
        start = leftover.start()
        raise TemplateProblem(
            f"{rest[start : start + 40]!r} ({place}): the tag is not closed in its paragraph"
        )


def _split(full: str, strings: list[str], cuts: list[tuple[int, int, str]]) -> list[str]:
    """The new text of each w:t: its characters outside the cuts, and each cut's replacement in
    the w:t holding the cut's first character."""
    starts = []
    offset = 0
    for string in strings:
        starts.append(offset)
        offset += len(string)
    pieces: list[list[str]] = [[] for _ in strings]

    def distribute(begin: int, end: int) -> None:
        for i, start in enumerate(starts):
            low, high = max(begin, start), min(end, start + len(strings[i]))
            if low < high:
                pieces[i].append(full[low:high])

    position = 0
    for begin, end, replacement in cuts:
        distribute(position, begin)
        holder = max(i for i, start in enumerate(starts) if start <= begin and strings[i])
        pieces[holder].append(replacement)
        position = end
    distribute(position, len(full))
    return ["".join(own) for own in pieces]


def _merge_runs(paragraph: etree._Element, place: str, tags: list[Tag]) -> list[int]:
    """Move each tag of the paragraph whole into the w:t holding its first character, replaced
    there by a marker; return the indexes of the tags found."""
    texts = _own_texts(paragraph)
    strings = [t.text or "" for t in texts]
    full = "".join(strings)
    if "{" not in full:
        return []
    _check_closed(full, place)
    starts = list(accumulate(map(len, strings[:-1]), initial=0))
    cuts = []
    found = []
    for match in TAG.finditer(full):
        holder = max(i for i, start in enumerate(starts) if start <= match.start() and strings[i])
        found.append(len(tags))
        tags.append(_make_tag(match.group(0), place, texts[holder]))
        cuts.append((match.start(), match.end(), f"{MARK_START}{found[-1]}{MARK_END}"))
    for text, new in zip(texts, _split(full, strings, cuts), strict=True):
        if new != (text.text or ""):
            text.text = new
            if MARK_START in new:
                text.set(XML_SPACE, "preserve")
    return found


def _replace_with_markers(element: etree._Element, markers: str) -> str:
    """Take `element` out of the tree, leaving `markers` where it stood; return its parent's tag."""
    parent = element.getparent()
    if parent is None:
        raise TemplateProblem("a statement's paragraph or row stands at the top of its part")
    previous = element.getprevious()
    text = markers + (element.tail or "")
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(element)
    return str(parent.tag)


def _lift_statements(tags: list[Tag], owners: dict[int, etree._Element], kind: str) -> None:
    """Replace each paragraph (`p`) or row (`tr`) holding such statements by the statements."""
    by_container: dict[etree._Element, list[int]] = {}
    for index, paragraph in owners.items():
        if tags[index].level != kind:
            continue
        if tags[index].kind != "block":
            raise TemplateProblem(f"{tags[index].describe()}: {kind} applies to {{%{kind} ...%}} statements")
        container = paragraph if kind == "p" else _nearest(paragraph, W_TR)
        if container is None:
            raise TemplateProblem(f"{tags[index].describe()}: {{%tr ...%}} stands outside a table row")
        by_container.setdefault(container, []).append(index)
    for container, indexes in by_container.items():
        parent = container.getparent()
        if parent is None:
            raise TemplateProblem(
                f"{tags[indexes[0]].describe()}: the statement stands at the top of its part"
            )
        path, anchor = _anchor(parent)
        markers = ""
        for index in indexes:
            tags[index] = replace(tags[index], path=path, anchor=anchor)
            markers += f"{MARK_START}{index}{MARK_END}"
        _replace_with_markers(container, markers)


def _check_pairs(tags: list[Tag]) -> None:
    """Statements open and close in order, and each pair's ends stand in matching XML, so that
    keeping, skipping or repeating what lies between them leaves a well-formed document."""
    stack: list[list[Tag]] = []
    for tag in tags:
        word = tag.word
        if tag.kind != "block" or not word:
            continue
        if word in BLOCK_OPENERS or (word == "set" and "=" not in tag.body):
            stack.append([tag])
        elif word in BLOCK_MIDDLES or word.startswith("end"):
            wanted = BLOCK_MIDDLES.get(word) or {word[3:]}
            if not stack or stack[-1][0].word not in wanted:
                raise TemplateProblem(f"{tag.describe()}: no open {' or '.join(sorted(wanted))} to match")
            stack[-1].append(tag)
            if word.startswith("end"):
                _check_same_level(stack.pop())
    if stack:
        raise TemplateProblem(f"{stack[-1][0].describe()}: never closed (no end{stack[-1][0].word})")


def _check_same_level(group: list[Tag]) -> None:
    first = group[0]
    for tag in group[1:]:
        common = 0
        while common < min(len(first.anchor), len(tag.anchor)) and first.anchor[common] == tag.anchor[common]:
            common += 1
        if first.path[common:] != tag.path[common:]:
            raise TemplateProblem(
                f"{tag.describe()} does not stand at the same level as {first.describe()}: "
                "use {%p ...%} paragraphs or {%tr ...%} rows for both"
            )


@dataclass(frozen=True)
class _CompiledPart:
    name: str
    template: jinja2.Template
    tags: tuple[Tag, ...]
    declaration: bytes

    def render(self, context: Mapping[str, Any]) -> bytes:
        try:
            text = self.template.render(context)
        except jinja2.TemplateError as error:
            raise TemplateProblem(
                _describe_error(error, self.tags, _template_line(sys.exc_info()[2]))
            ) from None
        except (TypeError, ValueError, ArithmeticError, AttributeError) as error:
            line = _template_line(sys.exc_info()[2])
            raise TemplateProblem(_describe_error(error, self.tags, line)) from None
        return self.declaration + text.encode("utf-8")


def _template_line(traceback: Any) -> int | None:
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _describe_error(error: Exception, tags: tuple[Tag, ...], line: int | None) -> str:
    line = line if line is not None else getattr(error, "lineno", None)
    message = str(getattr(error, "message", None) or error)
    # Tag k's Jinja starts line k + 2: the source opens with the part's XML up to the first tag.
    if line is not None and 0 <= line - 2 < len(tags):
        return f"{tags[line - 2].describe()}: {message}"
    return message


def _compile_part(
    name: str, xml: bytes, names: Collection[str], env: jinja2.Environment
) -> _CompiledPart | None:
    """The part as a Jinja template, or None when it holds no tag."""
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(xml, parser)  # noqa: S320 -- entities off, no network
    except etree.XMLSyntaxError as error:
        raise TemplateProblem(f"{name} is not well-formed XML: {error}") from None
    prefix = "" if name == DOCUMENT_PART else f"{name.split('/')[-1][:6]} ({name}) "
    places = _Places(root, prefix)
    tags: list[Tag] = []
    owners: dict[int, etree._Element] = {}
    for paragraph in list(root.iter(W_P)):
        for index in _merge_runs(paragraph, places.places.get(paragraph, prefix + "a text box"), tags):
            owners[index] = paragraph
    if not tags:
        return None
    _lift_statements(tags, owners, "tr")
    # Paragraphs of a row that a {%tr %} statement replaced are gone with it.
    _lift_statements(tags, {i: p for i, p in owners.items() if root in p.iterancestors()}, "p")
    _check_pairs(tags)
    # Newlines become character references so that the only line breaks are the tags' own.
    body = etree.tostring(root, encoding="unicode").replace("\r", "&#13;").replace("\n", "&#10;")
    lines: list[Tag] = []  # the tag on each line from line 2 on, as they reach the source

    def substitute(match: re.Match[str]) -> str:
        tag = tags[int(match.group(1))]
        if tag.kind != "comment":
            lines.append(tag)
        return tag.jinja()

    source = MARK.sub(substitute, body)
    try:
        tree = env.parse(source)
        _check_names(tree, lines, names, env)
        template = env.from_string(tree)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateProblem(_describe_error(error, tuple(lines), error.lineno)) from None
    declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    return _CompiledPart(name=name, template=template, tags=tuple(lines), declaration=declaration)


def _check_names(
    tree: nodes.Template, tags: list[Tag], names: Collection[str], env: jinja2.Environment
) -> None:
    unknown = meta.find_undeclared_variables(tree) - set(names) - set(env.globals) - JINJA_BUILTIN_NAMES
    if not unknown:
        return
    first = min(
        (node for node in tree.find_all(nodes.Name) if node.name in unknown and node.ctx == "load"),
        key=lambda node: node.lineno,
    )
    raise TemplateProblem(
        _describe_error(NameError(f"unknown name {first.name!r}"), tuple(tags), first.lineno)
    )


# --- the template --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledTemplate:
    """A template version ready to render: its tagged parts compiled, the others zipped."""

    parts: tuple[_CompiledPart, ...]
    prebuilt: bytes  # a zip of every part that holds no tag
    names: frozenset[str]

    def render(self, context: Mapping[str, Any]) -> bytes:
        """The filled .docx. A name the context lacks, or any error in a tag, is a
        TemplateProblem naming the tag and its place."""
        rendered = [(part.name, part.render(context)) for part in self.parts]
        buffer = io.BytesIO(self.prebuilt)
        buffer.seek(0, io.SEEK_END)
        with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for name, data in rendered:
                archive.writestr(name, data)
        return buffer.getvalue()

    def placeholders(self) -> Iterator[Tag]:
        for part in self.parts:
            yield from part.tags


def _open_docx(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise TemplateProblem("not a .docx file (not a zip archive)") from None
    if DOCUMENT_PART not in archive.namelist():
        raise TemplateProblem(f"not a .docx file (no {DOCUMENT_PART})")
    if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
        raise TemplateProblem(f"the .docx unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB")
    return archive


def compile_template(
    data: bytes, *, names: Collection[str] = DOCUMENT_NAMES, env: jinja2.Environment | None = None
) -> CompiledTemplate:
    """Check and compile a .docx template; refuse (TemplateProblem) a file that is not a .docx,
    a syntax error, or a name outside `names`, naming the placeholder and where it stands."""
    env = env or ENVIRONMENT
    archive = _open_docx(data)
    parts = []
    untagged = []
    for info in archive.infolist():
        content = archive.read(info)
        part = None
        if info.filename == DOCUMENT_PART or HEADER_FOOTER_PART.match(info.filename):
            try:
                part = _compile_part(info.filename, content, names, env)
            except zipfile.BadZipFile as error:
                raise TemplateProblem(f"not a .docx file ({error})") from None
        if part is None:
            untagged.append((info, content))
        else:
            parts.append(part)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as prebuilt:
        for info, content in untagged:
            prebuilt.writestr(info, content, compress_type=info.compress_type)
    return CompiledTemplate(parts=tuple(parts), prebuilt=buffer.getvalue(), names=frozenset(names))
