"""Header recognition (SPEC section 9): a header text is normalised (NFKC, Traditional to
Simplified Chinese, case, spaces and line breaks, units and markers in brackets), cut into
parts, each part read as concepts (``data/headers.toml``), and every order-line field scored by
the concepts it needs and the ones it allows beside them. Exact aliases (``data/aliases.toml``)
score 1. A field's claim on a column is then confirmed by a sample of its values (a date field
holds dates, a quantity numbers); the best-scoring column wins and the runner-up is kept, so
``check`` and ``map`` can show how sure the choice is.

Pure: texts and sample values in, proposals out. Costs nothing per data row."""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable

from addin.tomlcompat import tomllib
from addin.zh import simplified

_BUYER = re.compile(r"buyer(?:'?s)?(?:[ _]?(?:name|code|id|no\.?))?")
# a score below this is no match (a header that shares one word with a field)
THRESHOLD = 0.5
SAMPLE_ROWS = 60

_BRACKETS = re.compile(r"[(（\[【［{｛]([^()（）\[\]【】［］{}｛｝]*)[)）\]】］}｝]")
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_TOKEN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+(?:st|nd|rd|th)?|#")
_UNITS = frozenset("pcs pc kg g mm cm m km usd rmb cny eur hkd ntd twd % * ※ 支 个 件 只 套 台 米 元 公斤 千克 吨 "
                   "kgs lbs lb ea units unit 美元 人民币 台币 天 days d h hrs hours 小时 min mins yyyymmdd yyyy/mm/dd "
                   "yyyy-mm-dd yyyymm mm/dd/yyyy dd/mm/yyyy √× √ × ✓".split())


@functools.cache
def vocabulary() -> dict:
    with resources.files("addin.data").joinpath("headers.toml").open("rb") as fh:
        return tomllib.load(fh)


@functools.lru_cache(maxsize=16384)
def simplify(text: str) -> str:
    """NFKC (full-width to half-width) then Traditional to Simplified Chinese (OpenCC's t2s,
    the one converter the root-cause classifier uses too)."""
    return simplified(unicodedata.normalize("NFKC", text))


def _is_marker(inner: str) -> bool:
    """Bracketed text that says nothing about the field: a unit, a format, a mark, a legend."""
    s = re.sub(r"\s+", "", inner).casefold()
    if not s or not re.search(r"[a-z\u4e00-\u9fff]", s):
        return True                      # (*), (%), (1)
    if s in _UNITS:
        return True
    if len(s) > 8 and _CJK_CHAR.search(s):
        return True                      # a legend: （①正常单15天以上；②急单10-15天 …）
    return bool(re.fullmatch(r"[ymd/\-.]+", s))


@functools.lru_cache(maxsize=16384)
def normalise(text: str) -> str:
    """The header as compared: NFKC, Simplified, case folded, units and markers in brackets
    removed, every run of spaces and line breaks one space (none between CJK characters)."""
    text = simplify(str(text)).replace("\u00a0", " ")
    # an unclosed bracket (a legend cut short) is dropped with what follows
    prev = None
    while prev != text:
        prev = text
        text = _BRACKETS.sub(lambda m: " " if _is_marker(m.group(1)) else f" \x01{m.group(1)}\x02 ", text)
    text = re.sub(r"[(（][^()（）]{9,}$", " ", text).replace("\x01", "(").replace("\x02", ")")
    text = re.sub(r"\s+", " ", text).strip().casefold()
    text = re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff(])|(?<=[(]) | (?=[)])", "", text)
    return text


def key(text: Any) -> str:
    """Headers compare equal when they differ only in case, spaces, punctuation, full-width
    forms, script (Traditional/Simplified) or a unit in brackets."""
    if text is None:
        return ""
    return _key(text if type(text) is str else str(text))


@functools.lru_cache(maxsize=16384)
def _key(text: str) -> str:
    return re.sub(r"[\s_\-.:：()（）\[\]【】#/\\'\"*]+", "", normalise(text))


# --- parts and concepts ---------------------------------------------------------------------

@dataclass(frozen=True)
class Parts:
    units: tuple[tuple[frozenset, float], ...]    # each part's concepts and weight
    concepts: frozenset
    acronym: bool = False     # a part read through an acronym of three words or more (RDD, CRD, ETD)
    recast: bool = False      # its legend changed what the header names (a status listing urgency classes)

    @property
    def total(self) -> float:
        return sum(w for _, w in self.units)


@functools.cache
def _tables() -> tuple[dict, dict, dict, dict, int]:
    v = vocabulary()
    words = {str(k).casefold(): frozenset(str(c).split()) for k, c in v["words"].items()}
    latin = {k: c for k, c in words.items() if not _CJK_CHAR.search(k)}
    cjk = {k: c for k, c in words.items() if _CJK_CHAR.search(k)}
    abbrev = {str(k).casefold(): str(w).split() for k, w in v["abbreviations"].items()}
    phrases = {str(k).casefold(): str(w) for k, w in v["phrases"].items()}
    return latin, cjk, abbrev, phrases, max(map(len, cjk), default=1)


def _latin_tokens(segment: str) -> list[str]:
    """Words of a latin segment: camelCase and run-together capitals split (OrdCFM -> ord cfm,
    SCIDlv -> sci dlv), digits apart, '#' a word."""
    return [t.casefold() for t in _LATIN_TOKEN.findall(segment)]


@functools.lru_cache(maxsize=16384)
def parts(text: str) -> Parts:
    latin, cjk, abbrev, phrases, longest = _tables()
    raw = simplify(str(text)).replace("\u00a0", " ")
    raw = re.sub(r"\s+", " ", raw)
    raw = re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", raw)   # 生 產 單 号 -> 生产单号
    # bracketed markers out, other bracketed words kept at half weight
    hints: list[str] = []
    legends: list[str] = []

    def bracket(m: re.Match) -> str:
        if not _is_marker(m.group(1)):
            hints.append(m.group(1))
        elif _CJK_CHAR.search(m.group(1)):
            legends.append(m.group(1))
        return " "
    prev = None
    while prev != raw:
        prev = raw
        raw = _BRACKETS.sub(bracket, raw)
    cut = re.search(r"[(（][^()（）]*$", raw)
    if cut:                   # a legend cut short by the cell
        legends.append(cut.group(0)[1:])
        raw = raw[:cut.start()] + " "
    units: list[tuple[frozenset, float]] = []
    acronym = recast = False
    for segment, weight in [(raw, 1.0)] + [(h, 0.5) for h in hints]:
        got, acr = _segment_units(segment, weight, latin, cjk, abbrev, phrases, longest)
        units += got
        acronym |= acr
    # a status or class whose legend lists urgency classes (①正常单 ②急单 ③特急单 …) is a priority
    if legends and any("status" in u or "type" in u for u, _ in units):
        said = [c for legend in legends for u, _ in _cjk_units(re.sub(r"[^\u3400-\u9fff]+", "", legend),
                                                                1.0, cjk, longest) for c in u]
        if said.count("priority") >= 2:
            units = [(frozenset({"priority"}), w) if ("status" in u or "type" in u) else (u, w)
                     for u, w in units]
            recast = True
    # an unknown short word in front of known ones is a site or system prefix (SCI Delivery, F_),
    # not an unknown qualifier (freight_value is no amount of the line)
    first = re.match(r"\s*([A-Za-z]+)", _camel(raw, latin, abbrev))
    if len(units) > 1 and not units[0][0] and units[0][1] >= 1.0 and any(u for u, _ in units[1:]) \
            and first is not None and len(first.group(1)) <= 4:
        units[0] = (frozenset(), 0.3)
    concepts = frozenset().union(*(u for u, _ in units)) if units else frozenset()
    return Parts(tuple(units), concepts, acronym, recast)


def _segment_units(segment: str, weight: float, latin, cjk, abbrev, phrases, longest) -> tuple[list, bool]:
    out: list[tuple[frozenset, float]] = []
    acronym = False
    # latin phrases first, on the lower-case text with single spaces
    low = " " + re.sub(r"[_\s]+", " ", _camel(segment, latin, abbrev)).casefold() + " "
    for phrase, repl in phrases.items():
        if phrase in low:
            low = re.sub(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", f" {repl} ", low)
    for run in re.split(r"([\u3400-\u9fff]+)", low):
        if not run.strip():
            continue
        if _CJK_CHAR.match(run):
            out += _cjk_units(run, weight, cjk, longest)
            continue
        for tok in _latin_tokens(run):
            if tok.isdigit():
                continue
            words = abbrev.get(tok, [tok])
            acronym |= len(words) >= 3
            concepts = frozenset().union(*(latin.get(w, frozenset()) for w in words))
            if concepts == {"of"} or tok in ("of", "to", "the", "in", "for", "by", "per", "and", "&"):
                if tok == "to":
                    out.append((frozenset({"to"}), 0.0))
                continue
            out.append((concepts, weight))
    return out, acronym


def _camel(segment: str, latin: dict, abbrev: dict) -> str:
    """'OrderQty' -> 'Order Qty', 'SewingInLine' stays 'Sewing InLine' where 'inline' is a word."""
    def split(m: re.Match) -> str:
        w = m.group(0)
        if w.casefold() in latin or w.casefold() in abbrev:
            return w
        return " ".join(_LATIN_TOKEN.findall(w))
    return re.sub(r"[A-Za-z]+", split, segment)


def _cjk_units(run: str, weight: float, cjk: dict, longest: int) -> list:
    out = []
    i = 0
    while i < len(run):
        for n in range(min(longest, len(run) - i), 0, -1):
            c = cjk.get(run[i:i + n])
            if c is not None:
                if c != {"of"}:
                    out.append((c, weight))
                i += n
                break
        else:
            out.append((frozenset(), weight * 0.5))     # an unknown character
            i += 1
    return out


# --- scoring --------------------------------------------------------------------------------

@functools.cache
def _field_rules() -> dict[str, tuple[list[tuple[float, frozenset]], frozenset, frozenset]]:
    out = {}
    for fld, rule in vocabulary()["fields"].items():
        needs = [(float(n[0]), frozenset(n[1:])) for n in rule["need"]]
        out[fld] = (needs, frozenset(rule.get("also", ())), frozenset(rule.get("not", ())))
    return out


# a bilingual header: a Chinese part and an English part side by side (到货日期 Receipt Date,
# Receipt Date / 到货日期), as hand-kept sheets of Chinese factories label their columns
_BILINGUAL = (re.compile(r"(?P<zh>[^A-Za-z]*[\u3400-\u9fff][^A-Za-z]*?)[\s/|]+(?P<en>[A-Za-z][^\u3400-\u9fff]*)"),
              re.compile(r"(?P<en>[A-Za-z][^\u3400-\u9fff]*?)[\s/|]+(?P<zh>[^A-Za-z]*[\u3400-\u9fff][^A-Za-z]*)"))


@functools.lru_cache(maxsize=16384)
def scores(text: str) -> dict[str, float]:
    """field -> score in 0..1 of one header text, by its parts (no exact alias). A bilingual
    header scores a field at least as its weaker half does when both halves name that field (the
    two halves say the same thing twice: 日期 and Date are not a date about a date)."""
    out = _scores(text)
    halves = bilingual_halves(text)
    if halves is not None:
        zh, en = _scores(halves[0]), _scores(halves[1])
        for fld in zh.keys() & en.keys():
            out[fld] = max(out.get(fld, 0.0), min(zh[fld], en[fld]))
    return out


def bilingual_halves(text: Any) -> tuple[str, str] | None:
    """(Chinese part, English part) of a bilingual header such as '替代料 Alternates', else None."""
    for rx in _BILINGUAL:
        m = rx.fullmatch(str(text).strip())
        if m is not None:
            return m.group("zh").strip(), m.group("en").strip()
    return None


def _scores(text: str) -> dict[str, float]:
    p = parts(text)
    total = p.total
    if not total:
        return {}
    out: dict[str, float] = {}
    # a header that ends in a unit names the unit of what it begins with (数量单位, Order Unit, Qty per
    # Unit): no field of an order line is a unit of measure
    main = [u for u, w in p.units if w >= 1.0]
    if len(main) > 1 and main[-1] == {"unit"}:
        return {}
    # a date about a date (交期确认日: the day the due date was confirmed) is no due date
    meta_date = sum(1 for u, _ in p.units if "date" in u) > 1
    for fld, (needs, also, never) in _field_rules().items():
        if never & p.concepts:
            continue
        best = 0.0
        for weight, need in needs:
            if not need <= p.concepts:
                continue
            allowed = need | also
            covered = sum(w for u, w in p.units if u and u <= allowed)
            n_covered = sum(1 for u, w in p.units if u and u <= allowed and w >= 1)
            s = weight * covered / total + 0.01 * min(n_covered - 1, 4)
            if meta_date and "date" in need | also:
                s *= 0.5
            if p.acronym:    # an acronym is less sure than the words it stands for (CRD: requested or cargo ready)
                s *= 0.95
            best = max(best, s)
        if best >= THRESHOLD * 0.8:
            out[fld] = round(min(best, 0.99), 3)
    return out


def kind_scores(texts: Iterable[str]) -> dict[str, float]:
    """Evidence per order-line kind (sales, purchases, work_orders, shipments) in a header row."""
    weights = vocabulary()["kinds"]
    out = {k: 0.0 for k in weights}
    for t in texts:
        if not t:
            continue
        concepts = parts(t).concepts
        for k, table in weights.items():
            out[k] += sum(float(w) for c, w in table.items() if c in concepts)
    return out


# --- proposals ------------------------------------------------------------------------------

@dataclass
class Candidate:
    column: int
    header: str
    score: float
    how: str = "parts"        # "mapping" | "alias" | "parts"


@dataclass
class FieldChoice:
    field: str
    chosen: Candidate | None
    runner_up: Candidate | None = None
    rejected: list[tuple[Candidate, str]] = field(default_factory=list)   # failed the value check

    def as_dict(self) -> dict:
        def c(x):
            return None if x is None else {"column": x.column, "header": x.header, "confidence": x.score}
        return {"field": self.field, "column": c(self.chosen), "runner_up": c(self.runner_up),
                **({"rejected": [{"header": r.header, "why": why} for r, why in self.rejected]}
                   if self.rejected else {})}


def row_scores(texts: list[str], exact: dict[str, str] | None = None) -> list[dict[str, float]]:
    """``scores`` of each header of one row, read with its neighbours (what a header means can
    depend on the row it is in):

    - a bare sequence number (序号, Seq) is a line number only right after an order or work-order
      number; elsewhere (the first column of a hand-kept sheet) it counts rows;
    - a promised date beside its revised twin (预计交付时间 / 修改后预计交付时间, Promised Date /
      Revised Promised Date) is the first promise, the twin the current one;
    - a bare date (日期, Date) in a production report (its headers speak of production, lines,
      starts and finishes) is the production day, not an order date;
    - a brand counts as the customer only where no column names a supplier (garment exports
      name the buyer's brand; on a purchase or receipt line the brand is the product's); a bare
      'Buyer' beside a supplier is the purchasing agent (owner), elsewhere the customer."""
    exact = exact or {}
    out = [dict(scores(t)) if key(t) else {} for t in texts]
    concepts = [parts(t).concepts if key(t) else frozenset() for t in texts]

    def names(col: int, *fields: str) -> bool:
        return exact.get(key(texts[col])) in fields or any(out[col].get(f, 0.0) >= THRESHOLD for f in fields)

    filled = [c for c, t in enumerate(texts) if key(t)]
    supplier_named = any(names(c, "supplier") for c in filled)
    production = None
    for i, col in enumerate(filled):
        c, sc = concepts[col], out[col]
        if "line_no" in sc and "sequence" in c and c <= {"sequence", "number"}:
            if i == 0 or not names(filled[i - 1], "order_no", "work_order_no"):
                del sc["line_no"]
        if "customer" in sc and "brand" in c and "customer" not in c and supplier_named:
            del sc["customer"]
        if "customer" in sc and supplier_named and _BUYER.fullmatch(normalise(texts[col])):
            del sc["customer"]
            sc["owner"] = max(sc.get("owner", 0.0), 0.85)
        if "order_date" in sc and c == {"date"}:
            if production is None:
                ks = kind_scores(texts)
                others = max(v for k, v in ks.items() if k != "work_orders")
                production = ks["work_orders"] >= max(3.0, 2 * others)    # clearly a production report
            if production:
                del sc["order_date"]
        if sc.get("promised_date", 0.0) >= THRESHOLD and "revised" not in c and c:
            if any(concepts[o] == c | {"revised"} for o in filled if o != col):
                sc["first_promised_date"] = max(sc.get("first_promised_date", 0.0), sc.pop("promised_date"))
    return out


def sample_ok(kind_of: str, cells: list) -> tuple[bool, str]:
    """Whether a sample of a column's values fits a field type. Empty samples pass."""
    from addin.readers import values
    import pandas as pd
    cells = [c for c in cells if c is not None and not (isinstance(c, str) and not c.strip())]
    if not cells:
        return True, ""
    s = pd.Series(cells, dtype=object)
    placeholder = values.is_empty(s).to_numpy(dtype=bool)
    s = s[~placeholder]
    if not len(s):
        return True, ""
    if kind_of == "date":
        nums = [c for c in s if isinstance(c, (int, float)) and not isinstance(c, bool)]
        if len(nums) > len(s) / 2 and sum(1 for x in nums if abs(x) < 3660) > len(nums) / 2:
            return False, "holds day counts, not dates"
        if len(s) < 3:
            return True, ""      # a value or two that do not read are the rows' issues, not the column's
        try:
            good = int(values.date_cells(s).sum())   # '4月30' and 'TBD' count: the reader places them
        except Exception:   # noqa: BLE001 - a sample the parser chokes on is not dates
            return False, "holds no dates"
        if good < len(s) / 2:
            return False, "holds no dates"
        return True, ""
    if kind_of == "number" and len(s) >= 3:
        nums, bad = values.number_column(s.reset_index(drop=True))
        if int(nums.notna().sum()) < len(s) / 2:
            return False, "holds no numbers"
        return True, ""
    return True, ""


def propose(texts: list[str], fields: dict[str, str], *, exact: dict[str, str],
            user: dict[str, tuple[str, ...]] | None = None, samples: dict[int, list] | None = None,
            rank: dict[str, int] | None = None) -> dict[str, FieldChoice]:
    """Per field, the column chosen among ``texts`` (one header row), with its runner-up.

    ``fields``: field -> type (schema); ``exact``: header key -> field (aliases);
    ``user``: field -> header texts from a --map file (they win); ``samples``: column -> a few
    values below the header, for the value check. Each column serves one field at most,
    the best-scoring pairs first."""
    user = user or {}
    user_keys: dict[str, list[tuple[str, int]]] = {}
    for f, hs in user.items():
        if f in fields:
            for i, h in enumerate(hs):
                user_keys.setdefault(key(h), []).append((f, i))
    pairs: list[tuple[float, int, str, Candidate]] = []
    in_row = row_scores(texts, exact)
    for col, text in enumerate(texts):
        k = key(text)
        if not k:
            continue
        if k in user_keys:    # one column may serve two fields the user named (an order id as part)
            for f, order in user_keys[k]:
                pairs.append((2.0 - order * 0.001, 0, f, Candidate(col, text, 1.0, "mapping")))
            continue
        seen_fields = set()
        # an exact alias, unless the header's legend or its row says it names another field
        # (订单状态（①…急单…）: a priority; Promised Date beside Revised Promised Date: the first)
        recast = k in exact and exact[k] not in in_row[col] and bool(in_row[col]) and (
            parts(text).recast or in_row[col] != scores(text))
        if k in exact and exact[k] in fields and exact[k] not in user and not recast:
            f = exact[k]
            # an exact alias is sure; among aliases the more specific header wins (Order Qty over Qty)
            s = 0.97 + 0.02 * scores(text).get(f, 0.0) - (rank or {}).get(k, 0) * 0.0001
            pairs.append((s, 1, f, Candidate(col, text, 1.0, "alias")))
            seen_fields.add(f)
        for f, s in in_row[col].items():
            if f in fields and f not in seen_fields and f not in user:
                pairs.append((s, 2, f, Candidate(col, text, s)))
    pairs.sort(key=lambda p: (-p[0], p[1], p[3].column))
    by_field: dict[str, list[Candidate]] = {}
    for s, _, f, c in pairs:
        by_field.setdefault(f, []).append(c)
    choices: dict[str, FieldChoice] = {}
    used: set[int] = set()
    checked: dict[tuple[int, str], tuple[bool, str]] = {}
    for s, _, f, c in pairs:
        if f in choices and choices[f].chosen is not None:
            continue
        if c.column in used and c.how != "mapping":
            continue
        if c.how != "mapping" and s < THRESHOLD:
            continue
        if samples is not None and c.how != "mapping" and fields[f] in ("date", "number"):
            k2 = (c.column, fields[f])
            if k2 not in checked:
                checked[k2] = sample_ok(fields[f], samples.get(c.column, []))
            ok, why = checked[k2]
            if not ok:
                choices.setdefault(f, FieldChoice(f, None)).rejected.append((c, why))
                continue
        choice = choices.setdefault(f, FieldChoice(f, None))
        choice.chosen = c
        used.add(c.column)
    # a field whose every candidate failed the value check keeps a header that leaves no doubt
    # (an exact alias): its cells are then the rows' issues. Day counts are never a date.
    for f, choice in choices.items():
        if choice.chosen is None:
            sure = [c for c, why in choice.rejected if c.how == "alias" and c.column not in used
                    and not why.startswith("holds day counts")]
            if sure:
                choice.chosen = sure[0]
                used.add(sure[0].column)
    for f, choice in choices.items():
        if choice.chosen is None:
            continue
        others = [c for c in by_field.get(f, []) if c.column != choice.chosen.column
                  and c.score >= THRESHOLD * 0.8]
        choice.runner_up = others[0] if others else None
    # fields with no column: the closest headers kept as runner-up for the message, first a
    # header whose values did not fit (its reason is in ``rejected``)
    for f in fields:
        if f in choices and choices[f].chosen is None and choices[f].runner_up is None and choices[f].rejected:
            choices[f].runner_up = choices[f].rejected[0][0]
        elif f not in choices and f in by_field:
            near = [c for c in by_field[f] if c.column not in used]
            if near:
                choices[f] = FieldChoice(f, None, near[0])
    return choices


def closest(texts: Iterable[str], words: Iterable[str], n: int = 3) -> list[str]:
    """The headers of a row nearest to a field's known names (for 'missing' messages)."""
    import difflib
    texts = [t for t in texts if t]
    by_key = {}
    for t in texts:
        by_key.setdefault(key(t), t)
    found: list[str] = []
    for w in words:
        for k in difflib.get_close_matches(key(w), list(by_key), n=n, cutoff=0.75):
            if by_key[k] not in found:
                found.append(by_key[k])
    return found[:n]


# --- kinds of order-line ledger -------------------------------------------------------------

DUE_FIELDS = ("requested_date", "promised_date", "first_promised_date")


def ledger_kind(texts: Iterable[str], fields: Iterable[str]) -> str:
    """sales, purchases, work_orders or shipments, from the words of a header row and the
    fields found in it (a supplier column makes purchase lines, a production line work orders).
    Sales when nothing tells."""
    s = kind_scores(texts)
    found = set(fields)
    s["purchases"] += 4 * ("supplier" in found)
    s["sales"] += 3 * ("customer" in found)
    s["work_orders"] += 3 * ("work_order_no" in found) + 2 * ("line" in found) \
        + 2 * ("planned_warehouse_date" in found or "actual_warehouse_date" in found)
    # every ledger has a ship date: a shipment log is one with no order dates of its own
    s["shipments"] -= 2 * bool(found & {"order_date", "requested_date", "first_promised_date"})
    order = ("sales", "purchases", "work_orders", "shipments")
    best = max(order, key=lambda k: (s[k], -order.index(k)))
    return best if s[best] > 0 else "sales"


# field missing -> the field whose column stands in for it (work orders, receipts, logs)
STAND_INS = (
    ("order_no", "work_order_no", "the production order number identifies the line"),
    ("part_no", "description", "no part-number column: the item description identifies the part"),
    ("promised_date", "planned_warehouse_date", "no due-date column: the planned finish is the due date"),
    ("ship_date", "actual_warehouse_date", "no ship-date column: the actual finish is the completion date"),
)


def stand_ins(columns: dict[str, int], texts: dict[str, str]) -> list[str]:
    """Fill fields a kind of ledger names differently (a work order's planned finish is its due
    date); returns the notes saying so. Changes ``columns`` and ``texts`` in place."""
    notes = []
    for missing, source, why in STAND_INS:
        if missing in columns or source not in columns:
            continue
        if missing == "promised_date" and any(f in columns for f in DUE_FIELDS):
            continue
        columns[missing] = columns[source]
        header = texts[missing] = texts[source]
        if missing.endswith("_date"):     # a date moves: one column, one field, one issue per cell
            del columns[source], texts[source]
        notes.append(f"{header}: read as {missing} ({why})")
    return notes


def counterparty_field(kind: str, fields: Iterable[str]) -> str | None:
    """The column a ledger's lines are measured against: customer, supplier or line."""
    found = set(fields)
    preferred = {"sales": "customer", "purchases": "supplier", "work_orders": "line",
                 "shipments": "customer"}.get(kind, "customer")
    for f in (preferred, "customer", "supplier", "line"):
        if f in found:
            return f
    return None
