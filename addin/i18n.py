"""Sheet names, labels and messages in Simplified Chinese and English (SPEC section 1).

One table, keyed by a stable identifier; ``t(key, lang, **fields)`` formats it. Other modules
may add keys: keep each entry's ``zh`` and ``en`` side by side so a missing translation shows.
"""
from __future__ import annotations

import datetime as _dt

from addin.defaults import LANGS

__all__ = ["LANGS", "t", "table", "system_lang", "locale_lang", "month_label", "outcome_label", "risk_label", "STRINGS", "issue_message",
           "field_label", "measured_headline"]


STRINGS: dict[str, dict[str, str]] = {
    # --- sheet names (<= 31 characters, none of []:*?/\) -------------------------------------
    "sheet.summary": {"zh": "汇总", "en": "Summary"},
    "sheet.customer": {"zh": "按客户", "en": "By customer"},
    "sheet.part": {"zh": "按料号", "en": "By part"},
    "sheet.owner": {"zh": "按跟单员", "en": "By owner"},
    "sheet.trend": {"zh": "趋势", "en": "Trend"},
    "sheet.causes": {"zh": "原因分析", "en": "Root causes"},
    "sheet.late": {"zh": "延误与风险", "en": "Late and at risk"},
    "sheet.exceptions": {"zh": "异常记录", "en": "Exception log"},
    "sheet.data": {"zh": "数据", "en": "Data"},
    "sheet.issues": {"zh": "数据问题", "en": "Data issues"},
    "sheet.about": {"zh": "说明", "en": "About"},
    "sheet.suppliers": {"zh": "供应商", "en": "Suppliers"},
    "esc.subject": {"zh": "异常升级通报 {day}：重大异常 {major} 项，措施逾期 {actions} 项",
                    "en": "Escalation {day}: {major} major exceptions, {actions} actions past their deadline"},
    "esc.intro": {"zh": "截至 {day}：未交货且延误 {days} 天及以上的重大异常 {major} 项；超过完成期限的改善措施 {actions} 项。",
                  "en": "As of {day}: {major} open lines {days} or more days late (major exceptions); "
                        "{actions} actions past their deadline."},
    "esc.line": {"zh": "{n}. {line} {customer} {part} — {why}", "en": "{n}. {line} {customer} {part} — {why}"},
    "esc.detail": {"zh": "   责任人：{owner}；问题：{problem}（{cause}）；措施：{action}；期限：{deadline}",
                   "en": "   owner: {owner}; problem: {problem} ({cause}); action: {action}; deadline: {deadline}"},
    "esc.why_major": {"zh": "延误 {days} 天（交期 {due}）", "en": "{days} days late (due {due})"},
    "esc.why_action": {"zh": "措施逾期 {days} 天（期限 {deadline}）", "en": "action {days} days past its deadline ({deadline})"},
    "esc.none": {"zh": "（未填）", "en": "(none)"},
    "esc.sep": {"zh": "；", "en": "; "},
    "esc.nothing": {"zh": "无需升级的异常。", "en": "Nothing to escalate."},
    "esc.footer": {"zh": "由 OrderDesk 根据订单台账生成（交期基准：{basis}）。", "en": "Made by OrderDesk from the order ledger (due date basis: {basis})."},
    "esc.cli.not_due": {"zh": "{day}：无需升级的异常，未发送", "en": "{day}: nothing to escalate; nothing sent"},
    "esc.cli.failed": {"zh": "{day} 的升级通报有 {n}/{total} 份未送达（首个：{recipient}：{reply}）— 再次运行将只重试这些",
                       "en": "{n} of {total} escalation digests of {day} not delivered (first: {recipient}: {reply}) — "
                             "run again to retry them"},
    "esc.cli.unrecorded": {"zh": "{day} 的升级通报有 {n}/{total} 份已发出但未能写入发送记录（首个：{recipient}：{reply}）"
                                 "— 请检查配置文件旁的发送记录文件",
                           "en": "{n} of {total} escalation digests of {day} went out but could not be recorded"
                                 " (first: {recipient}: {reply}) — check the record of sent mail beside the config"},
    "esc.cli.all_sent": {"zh": "{day}：今天的升级通报均已发送", "en": "{day}: today's digest was already sent to everyone"},
    "sheet.escalation": {"zh": "升级事项", "en": "Escalation"},
    "escsheet.title": {"zh": "升级事项（截至 {as_of}）：重大异常与逾期措施", "en": "Escalation as of {as_of}: major exceptions and overdue actions"},
    "escsheet.note": {"zh": "未交货且延误 {days} 天及以上的重大异常 {major} 项；超过完成期限的改善措施 {actions} 项（与升级通报邮件同一清单）。",
                      "en": "{major} open lines {days} or more days late (major exceptions); {actions} actions past their "
                            "deadline (the list the escalation digest sends)."},
    "escsheet.reason": {"zh": "升级原因", "en": "Why escalated"},
    "escsheet.reason.major": {"zh": "重大异常", "en": "Major exception"},
    "escsheet.reason.action_overdue": {"zh": "措施逾期", "en": "Action overdue"},
    "escsheet.days_past_deadline": {"zh": "逾期天数", "en": "Days past deadline"},
    "excel.snapshot_first": {"zh": "尚无上次比对的快照：已将工作表 {sheet} 的 {lines} 行保存为快照（{path}，在工作簿之外）。下次点击将列出此后的变更。",
                             "en": "No snapshot from an earlier comparison: kept the {lines} lines of sheet {sheet} as the snapshot "
                                   "({path}, outside the workbook). The next press lists what changed since."},
    "excel.changes_done": {"zh": "已将工作表 {sheet} 与 {old} 比对：{summary}。变更记录见工作表 {out}。快照已更新（{path}）。",
                           "en": "Compared sheet {sheet} with {old}: {summary}. Change log on sheet {out}. Snapshot updated ({path})."},
    "excel.changes_moved": {"zh": "可承诺交期变动的订单行：{n}", "en": "Lines whose capable-to-promise date moves: {n}"},
    "excel.changes_old_promise": {"zh": "原可承诺交期", "en": "Promise before"},
    "excel.changes_new_promise": {"zh": "新可承诺交期", "en": "Promise now"},
    "excel.compare_missing": {"zh": "找不到要比对的文件：{path}", "en": "The file to compare with is not there: {path}"},
    "sup.title": {"zh": "供应商准时交货评分 {month}", "en": "Supplier scorecard, {month}"},
    "sup.note": {"zh": "采购订单行按交期（承诺交期，否则要求交期）与实际到货日期衡量；未到货逾期行截至 {as_of}；交期天数 = 自下单日起的日历天数（近12个月已到货行的平均值）",
                 "en": "Purchase lines measured by their due date (promised, else requested) and receipt date; open overdue as of {as_of}; lead times in calendar days from the order date (average of the lines received in the 12 months)"},
    "sup.supplier": {"zh": "供应商", "en": "Supplier"},
    "sup.lines": {"zh": "本月行数", "en": "Lines (month)"},
    "sup.on_time": {"zh": "准时", "en": "On time"},
    "sup.late": {"zh": "延误", "en": "Late"},
    "sup.otd": {"zh": "准时交货率", "en": "OTD"},
    "sup.otif": {"zh": "准时足量率", "en": "OTIF"},
    "sup.avg_days_late": {"zh": "平均延误天数", "en": "Avg days late"},
    "sup.lines_12m": {"zh": "近12个月行数", "en": "Lines (12 months)"},
    "sup.otd_12m": {"zh": "近12个月准时率", "en": "OTD (12 months)"},
    "sup.open_overdue": {"zh": "未到货逾期行", "en": "Open overdue lines"},
    "sup.quoted_lead_days": {"zh": "承诺交期天数", "en": "Quoted lead time (days)"},
    "sup.actual_lead_days": {"zh": "实际交期天数", "en": "Actual lead time (days)"},
    "sup.lead_gap_days": {"zh": "交期差（实际−承诺）", "en": "Lead time gap (actual − quoted)"},
    "sup.total": {"zh": "合计", "en": "Total"},
    "sheet.risk": {"zh": "风险", "en": "Risk"},

    # --- summary -----------------------------------------------------------------------------
    "summary.title": {"zh": "准时交货月报 {month}", "en": "On-time delivery, {month}"},
    "summary.subtitle": {"zh": "统计截止日 {as_of} · 交期基准: {basis} · 单位: 订单行",
                         "en": "As of {as_of} · due date basis: {basis} · unit: order lines"},
    "summary.tile.otd": {"zh": "准时交货率 OTD", "en": "On-time delivery (OTD)"},
    "summary.tile.otif": {"zh": "准时足量率 OTIF", "en": "On time in full (OTIF)"},
    "summary.tile.late": {"zh": "延误行数", "en": "Late lines"},
    "summary.kpis": {"zh": "关键指标", "en": "Key figures"},
    "summary.measure": {"zh": "指标", "en": "Measure"},
    "summary.this_month": {"zh": "本月 {month}", "en": "This month {month}"},
    "summary.prev_month": {"zh": "上月 {month}", "en": "Previous month {month}"},
    "summary.last_year": {"zh": "去年同月 {month}", "en": "Same month last year {month}"},
    "summary.change": {"zh": "较上月", "en": "Change vs previous"},
    "summary.ladder": {"zh": "OTD 阶梯 (按不同交期基准)", "en": "OTD ladder (by due date basis)"},
    "summary.ladder.basis": {"zh": "交期基准", "en": "Due date basis"},
    "summary.severity": {"zh": "延误严重度", "en": "Late lines by severity"},
    "summary.top_causes": {"zh": "主要延误原因 (本月)", "en": "Top causes of late lines (this month)"},
    "summary.no_late": {"zh": "本月无延误", "en": "No late lines this month"},
    "summary.values_note": {"zh": "数据量大 ({rows} 行): 透视表为数值, 不随数据表自动重算; “数据”表只含本月及逾期/风险订单行",
                            "en": "Large ledger ({rows} rows): pivots are values, not live formulas; "
                                  "the Data sheet holds this month's lines and the overdue / at-risk ones"},
    "summary.live_note": {"zh": "透视表为公式, 修改“数据”表后自动重算",
                          "en": "Pivots are live formulas over the Data sheet: edit the data and they recalculate"},
    "otif.unknown": {"zh": "未知 (无出货数量)", "en": "unknown (no shipped qty)"},

    # --- measures ----------------------------------------------------------------------------
    "m.lines": {"zh": "考核行数", "en": "Lines due"},
    "m.on_time": {"zh": "准时", "en": "On time"},
    "m.late": {"zh": "延误", "en": "Late"},
    "m.early": {"zh": "提前", "en": "Early"},
    "m.pending": {"zh": "待出货 (未逾期)", "en": "Pending"},
    "m.otd": {"zh": "OTD %", "en": "OTD %"},
    "m.otif": {"zh": "OTIF %", "en": "OTIF %"},
    "m.avg_days_late": {"zh": "平均延误天数", "en": "Avg days late"},
    "m.count": {"zh": "行数", "en": "Lines"},
    "m.share": {"zh": "占比", "en": "Share"},
    "m.cum_pct": {"zh": "累计 %", "en": "Cumulative %"},
    "m.cause": {"zh": "原因", "en": "Cause"},
    "m.scope": {"zh": "内部/外部", "en": "Internal/external"},

    "basis.promised": {"zh": "最新承诺交期", "en": "latest promise"},
    "basis.requested": {"zh": "客户要求交期", "en": "requested date"},
    "basis.first_promised": {"zh": "首次承诺交期", "en": "first promise"},
    "basis.agreed": {"zh": "客户认可交期（含客户变更）", "en": "agreed date (customer changes reset it)"},

    "severity.major": {"zh": "严重 (≥{days} 天)", "en": "Major (≥{days} days)"},
    "severity.general": {"zh": "一般 (<{days} 天)", "en": "General (<{days} days)"},

    # --- pivots ------------------------------------------------------------------------------
    "pivot.customer.title": {"zh": "按客户 OTD % (近 12 个月)", "en": "OTD % by customer, last 12 months"},
    "pivot.part.title": {"zh": "按料号 OTD % (近 12 个月)", "en": "OTD % by part, last 12 months"},
    "pivot.owner.title": {"zh": "按跟单员 OTD % (近 12 个月)", "en": "OTD % by owner, last 12 months"},
    "pivot.customer": {"zh": "客户", "en": "Customer"},
    "pivot.part_no": {"zh": "料号", "en": "Part"},
    "pivot.owner": {"zh": "跟单员", "en": "Owner"},
    "pivot.none": {"zh": "(空白)", "en": "(blank)"},
    "pivot.month_lines": {"zh": "本月行数", "en": "Lines this month"},
    "pivot.month_late": {"zh": "本月延误", "en": "Late this month"},
    "pivot.total12": {"zh": "12 个月合计", "en": "12 months"},
    "pivot.top": {"zh": "按行数显示前 {n} 个 (共 {total} 个), 全部订单行见“数据”表",
                  "en": "the {n} with most lines of {total}; every line is on the Data sheet"},
    "pivot.note": {"zh": "空白 = 该月无考核行", "en": "blank = no lines due that month"},
    "trend.title": {"zh": "月度趋势 (近 12 个月)", "en": "Monthly trend, last 12 months"},
    "trend.month": {"zh": "月份", "en": "Month"},
    "trend.chart": {"zh": "OTD % 与 OTIF % 趋势", "en": "OTD % and OTIF % by month"},
    "causes.title": {"zh": "延误原因 Pareto ({month})", "en": "Root causes of late lines, {month} (Pareto)"},
    "causes.chart": {"zh": "延误原因 Pareto", "en": "Root-cause Pareto"},
    "causes.severity": {"zh": "按严重度", "en": "By severity"},

    # --- late / exceptions -------------------------------------------------------------------
    "late.title": {"zh": "延误与风险订单 (截止 {as_of})", "en": "Late and at-risk lines as of {as_of}"},
    "exc.title": {"zh": "异常记录 (问题 · 责任人 · 措施 · 期限)", "en": "Exception log (problem, owner, action, deadline)"},
    "col.order_no": {"zh": "订单号", "en": "Order no"},
    "col.line_no": {"zh": "行号", "en": "Line"},
    "col.customer": {"zh": "客户", "en": "Customer"},
    "col.part_no": {"zh": "料号", "en": "Part"},
    "col.qty": {"zh": "数量", "en": "Qty"},
    "col.due_date": {"zh": "交期", "en": "Due date"},
    "col.ship_date": {"zh": "出货日期", "en": "Ship date"},
    "col.days_late": {"zh": "延误天数", "en": "Days late"},
    "col.severity": {"zh": "严重度", "en": "Severity"},
    "col.risk": {"zh": "风险", "en": "Risk"},
    "col.outcome": {"zh": "结果", "en": "Outcome"},
    "col.owner": {"zh": "责任人", "en": "Owner"},
    "col.root_cause": {"zh": "原因", "en": "Root cause"},
    "col.problem": {"zh": "问题", "en": "Problem"},
    "col.action": {"zh": "措施", "en": "Action"},
    "col.deadline": {"zh": "期限", "en": "Deadline"},
    "col.source_row": {"zh": "来源行", "en": "Source row"},
    "col.cell": {"zh": "单元格", "en": "Cell"},
    "col.field": {"zh": "字段", "en": "Field"},
    "col.value": {"zh": "值", "en": "Value"},
    "col.message": {"zh": "问题说明", "en": "Message"},
    "col.reason": {"zh": "风险原因", "en": "Reason"},
    "col.severity_issue": {"zh": "级别", "en": "Level"},
    "late.none": {"zh": "无延误或风险订单", "en": "No late or at-risk lines"},
    "exc.none": {"zh": "无异常", "en": "No exceptions"},
    "issues.title": {"zh": "数据问题 ({file})", "en": "Data-quality issues ({file})"},
    "issues.rows": {"zh": "读取 {read} 行: 有效 {valid}, 问题 {issues}, 空白或合计 {blank}",
                    "en": "Rows read {read}: valid {valid}, rejected {issues}, blank or total {blank}"},
    "issues.none": {"zh": "未发现数据问题", "en": "No data-quality issues"},
    "data.title": {"zh": "规范化数据 (表 OrderData)", "en": "Normalised data (table OrderData)"},

    # --- outcome / risk / cause words ----------------------------------------------------------
    "outcome.on_time": {"zh": "准时", "en": "on time"},
    "outcome.late": {"zh": "延误", "en": "late"},
    "outcome.early": {"zh": "提前", "en": "early"},
    "outcome.pending": {"zh": "待出货", "en": "pending"},
    "outcome.cancelled": {"zh": "已取消", "en": "cancelled"},
    "outcome.no_due_date": {"zh": "无交期", "en": "no due date"},
    "outcome.not_yet_due": {"zh": "未到期", "en": "not yet due"},
    "risk.overdue": {"zh": "逾期", "en": "overdue"},
    "risk.at_risk": {"zh": "有风险", "en": "at risk"},
    "risk.on_track": {"zh": "正常", "en": "on track"},
    "risk.done": {"zh": "已完成", "en": "done"},
    "risk.cancelled": {"zh": "已取消", "en": "cancelled"},
    "scope.internal": {"zh": "内部", "en": "internal"},
    "scope.external": {"zh": "外部", "en": "external"},

    # --- about -------------------------------------------------------------------------------
    "about.title": {"zh": "说明与定义", "en": "About this workbook"},
    "about.as_of": {"zh": "统计截止日", "en": "As-of date"},
    "about.month": {"zh": "报告月份", "en": "Month"},
    "about.basis": {"zh": "交期基准", "en": "Due date basis"},
    "about.late_tolerance": {"zh": "延误容差 (天)", "en": "Late tolerance (days)"},
    "about.early_tolerance": {"zh": "提前容差 (天)", "en": "Early tolerance (days)"},
    "about.early_none": {"zh": "无 (提前算准时)", "en": "none (early counts as on time)"},
    "about.major_days": {"zh": "严重延误阈值 (天)", "en": "Major when days late ≥"},
    "about.version": {"zh": "OrderDesk 版本", "en": "OrderDesk version"},
    "about.generated": {"zh": "生成时间", "en": "Generated"},
    "about.sources": {"zh": "数据来源文件", "en": "Source files"},
    "about.file": {"zh": "文件", "en": "File"},
    "about.sha256": {"zh": "SHA-256", "en": "SHA-256"},
    "about.definitions": {"zh": "定义", "en": "Definitions"},
    "about.live": {"zh": "透视表", "en": "Pivots"},
    "about.term": {"zh": "术语", "en": "Term"},
    "about.meaning": {"zh": "含义", "en": "Meaning"},
    "def.due_date": {
        "zh": "交期: 按基准取值。最新承诺 (默认): 承诺交期, 无则客户要求交期; 客户要求: 客户要求交期; 首次承诺: 首次承诺交期, 无则承诺交期, 再无则客户要求交期。",
        "en": "Due date, by basis. Latest promise (default): promised date, else requested date; requested: requested date; first promise: first promised date, else promised date, else requested date."},
    "def.cohort": {
        "zh": "考核范围: 未取消、交期在该月内且不晚于统计截止日的订单行。",
        "en": "Cohort of a month: lines not cancelled whose due date lies in the month and on or before the as-of date."},
    "def.on_time": {
        "zh": "准时: 已出货, 且 交期 − 提前容差 ≤ 出货日期 ≤ 交期 + 延误容差。只比较日期, 不比较时间。",
        "en": "On time: shipped, and due − early tolerance ≤ ship date ≤ due + late tolerance. Dates are compared as calendar dates."},
    "def.late": {
        "zh": "延误: 晚于容差出货, 或截止日已超过 交期 + 延误容差 仍未出货 (未出货的逾期行计为延误, 不会被排除)。",
        "en": "Late: shipped after the window, or not shipped while the as-of date is past due + late tolerance (an open overdue line is late, never left out)."},
    "def.early": {
        "zh": "提前: 设置了提前容差时, 早于容差出货 (不算准时)。",
        "en": "Early: shipped before the window when an early tolerance is set (not on time)."},
    "def.pending": {
        "zh": "待出货: 未出货且尚未逾期; 不计入比率, 单独计数。",
        "en": "Pending: not shipped and not yet late; outside the rate, counted separately."},
    "def.otd": {
        "zh": "OTD % = 准时 / (准时 + 延误 + 提前), 按订单行计。",
        "en": "OTD % = on time / (on time + late + early), line-weighted."},
    "def.otif": {
        "zh": "OTIF % = 准时且足量 / 同一分母。足量: 出货数量 ≥ 订单数量; 台账无出货数量时记为未知。",
        "en": "OTIF % = on time and in full / the same base. In full: shipped qty ≥ qty; unknown when the ledger has no shipped quantity."},
    "def.days_late": {
        "zh": "延误天数 = 出货日期 (未出货则为统计截止日) − 交期, 为正时。",
        "en": "Days late = ship date (or the as-of date when open) − due date, when positive."},
    "def.severity": {
        "zh": "严重度: 延误天数 ≥ {days} 为严重, 否则为一般。",
        "en": "Severity of a late line: major when days late ≥ {days}, else general."},
    "def.root_cause": {
        "zh": "原因: 异常类型映射到分类, 否则按异常说明关键词分类, 否则为未分类。客户变更、物流、不可抗力为外部原因, 其余为内部。",
        "en": "Root cause: the exception type mapped to the taxonomy, else classified from the note by keywords, else unclassified. Customer, logistics and force majeure are external; the rest internal."},
    "def.risk": {
        "zh": "风险: 逾期 (过交期未出货); 有风险 (交期在 {horizon} 个工作日内, 或计划节点已过而无实际日期); 正常; 已完成; 已取消。",
        "en": "Risk of an open line: overdue (past due, not shipped); at risk (due within {horizon} working days, or a planned milestone passed without its actual date); on track; done; cancelled."},
    "def.unmeasured": {
        "zh": "未能考核: 状态为已出货/已结案但没有完成日期的订单行, 无法判断是否准时, 不计入准时率 (既不算准时也不算延误), "
              "在汇总表和数据问题表中列出; 文件没有完成日期列 (出货、交货或收货日期) 时 OTD 为未知, 不显示 0%。",
        "en": "Not measured: a line shipped or closed without its completion date cannot be judged on time, so it is "
              "left out of the rate (neither on time nor late) and listed on the Summary and Data issues sheets; a "
              "file without a completion-date column (ship, delivery or receipt date) has OTD unknown, never 0 %."},
    "unknown_short.no_ship_date_column": {"zh": "无出货日期列", "en": "no ship-date column"},
    "unknown_short.closed_without_date": {"zh": "已结案订单无完成日期", "en": "lines closed without a date"},
    "def.live": {
        "zh": "透视表是对“数据”表 (表 OrderData) 的 COUNTIFS 公式; 修改数据后 Excel 自动重算。",
        "en": "Pivots are COUNTIFS formulas over the Data sheet (table OrderData); Excel recalculates them when the data is edited."},
    "def.values": {
        "zh": "数据共 {limit} 行, 公式过多会使 Excel 变慢, 透视表写为数值; 修改数据后请重新生成报告。",
        "en": "{limit} lines are too many for live formulas to stay fast in Excel: pivots are written as values; regenerate the report after editing the data."},

    # --- contract review: working calendar without holiday data for a year --------------------
    # appended to the reason of a lead-time / material / capacity check whose dates ran through
    # such a year (the check is then at least a warning); {years}: "2027", "2027–2028", "2027, 2029"
    "review.calendar_gap": {
        "zh": "日历 {name} 没有 {years} 年的节假日数据，日期按周一至周五计算；请在日历文件中补充 {years} 年节假日（--calendar）",
        "en": "calendar {name} has no holiday data for {years} — dates count Mon–Fri; "
              "add the {years} holidays in a calendar file (--calendar)"},
    # the note line near the top of the review workbook; {note} is review.calendar_gap
    "review.calendar_note": {"zh": "日历提示（{total} 个订单行中 {lines} 行）：{note}",
                             "en": "Calendar warning on {lines} of {total} PO lines: {note}"},
    # risk: the horizon WORKDAY(as_of, h) ran through such a year (addin.compute.risk.horizon_gap); shown
    # on the risk copy, the report's About and Summary sheets, `orderdesk risk` / `otd` output
    "risk.calendar_note": {
        "zh": "风险预警期日历提示（{start} 起 {h} 个工作日，至 {end}，可能偏早）：{note}",
        "en": "Calendar warning on the risk horizon ({h} working days, {start} to {end}, may end too early): {note}"},
    "about.risk_calendar": {"zh": "风险预警期", "en": "Risk horizon"},
    # Excel buttons: the workbook's own calendar sheet is the fix there (addin.excel.compute)
    "excel.calendar_hint": {
        "zh": "在 Excel 中：在名为 日历（或 Calendar）的工作表中（没有就添加，列为 日期、是否上班）填入 {years} 年的节假日和调休上班日。",
        "en": "In Excel: list the {years} holidays and make-up working days in the sheet named Calendar "
              "(or 日历; add it if the workbook has none, with columns Date and Working)."},

    # --- `orderdesk addin install | remove | status | templates` (commands/addin.py, xlam/install.py) ---
    "addin.no_excel": {"zh": "此系统（{platform}）没有 Excel：可以在这里构建加载项，但只能在 Windows 或 macOS 上安装。",
                       "en": "Excel is not available on this system ({platform}): the add-in can be built here but "
                             "installed only on Windows or macOS."},
    "addin.incomplete": {"zh": "OrderDesk 安装包不完整：缺少 {file} — 请重新安装（pip install --force-reinstall orderdesk）",
                         "en": "The OrderDesk package is incomplete: {file} is missing — reinstall it "
                               "(pip install --force-reinstall orderdesk)"},
    "addin.corrupt": {"zh": "OrderDesk 安装包中的 {file} 与其清单不符（sha256 为 {found}…，应为 {expected}…）— 请重新安装"
                            "（pip install --force-reinstall orderdesk）",
                      "en": "{file} in the OrderDesk package does not match its manifest (sha256 {found}…, expected "
                            "{expected}…) — reinstall it (pip install --force-reinstall orderdesk)"},
    "addin.bad_xlam": {"zh": "{file} 不是可用的加载项：{reason} — 请重新安装 OrderDesk（pip install --force-reinstall orderdesk）",
                       "en": "{file} is not a usable add-in: {reason} — reinstall OrderDesk "
                             "(pip install --force-reinstall orderdesk)"},
    "addin.reason.modules": {"zh": "缺少 VBA 模块 {modules}", "en": "the VBA modules {modules} are missing"},
    "addin.reason.project": {"zh": "其 xlwings 项目名为 {found}，应为 {expected}", "en": "its xlwings project name is {found}, not {expected}"},
    "addin.reason.no_vba": {"zh": "其中没有 VBA 项目（xl/vbaProject.bin）", "en": "it holds no VBA project (xl/vbaProject.bin)"},
    "addin.reason.not_addin": {"zh": "它不是加载项文件（内容类型不对）", "en": "it is not an add-in package (content type)"},
    "addin.reason.unreadable": {"zh": "它不是可读取的 Excel 文件（{error}）", "en": "it is not a readable Excel package ({error})"},
    "addin.reason.applescript": {"zh": "其 VBA 调用 {script}，但 xlwings 提供的是 {found}",
                                 "en": "its VBA runs {script}, but xlwings has {found}"},
    "addin.reason.sheet": {"zh": "缺少配置工作表 {sheet}", "en": "its config sheet {sheet} is missing"},
    "addin.xlwings_mismatch": {"zh": "{file} 是为 xlwings {built} 构建的，但已安装的是 xlwings {installed}：Excel 会找不到对应的 DLL。"
                                     "请安装 xlwings=={built}（pip install xlwings=={built}）",
                               "en": "{file} was built for xlwings {built} but xlwings {installed} is installed: Excel "
                                     "would not find its DLL. Install xlwings=={built} (pip install xlwings=={built})"},
    "addin.codepage": {"zh": "Python 路径 {path} 含有 Windows 代码页 {codepage} 无法表示的字符（{chars}），Excel 将无法启动 Python。"
                             "未安装任何文件。请把 OrderDesk 安装到路径只含这类字符的虚拟环境中（例如 py -m venv C:\\OrderDesk\\venv，"
                             "再运行 C:\\OrderDesk\\venv\\Scripts\\pip install orderdesk），然后运行该环境中的 orderdesk addin install",
                       "en": "The Python path {path} has characters ({chars}) that the Windows code page {codepage} cannot "
                             "hold, so Excel could not start Python. Nothing was installed. Install OrderDesk into a "
                             "virtual environment whose path has none of them (for example py -m venv C:\\OrderDesk\\venv, "
                             "then C:\\OrderDesk\\venv\\Scripts\\pip install orderdesk) and run its orderdesk addin install"},
    "addin.quote": {"zh": "Python 路径 {path} 含有双引号或换行，加载项的配置文件无法保存它。未安装任何文件。请把 OrderDesk 安装到不含这些字符的路径",
                    "en": "The Python path {path} contains a double quote or a line break, which the add-in's config "
                          "file cannot hold. Nothing was installed. Install OrderDesk under a path without them"},
    "addin.locked": {"zh": "{file} 正在使用中（Excel 是否在运行？）— 请退出 Excel 后重试。未做任何更改。",
                     "en": "{file} is in use (is Excel running?) — quit Excel and run again. Nothing was changed."},
    "addin.failed": {"zh": "写入 {file} 时安装失败（{error}）；所有文件已恢复原状。",
                     "en": "Installing failed while writing {file} ({error}); everything was put back as it was."},
    "addin.not_installed": {"zh": "未找到 OrderDesk 加载项的安装记录（{record}）：没有可移除的内容。",
                            "en": "No OrderDesk add-in install is recorded ({record}): nothing to remove."},
    "addin.installed": {"zh": "已安装 {file}", "en": "Installed {file}"},
    "addin.unchanged": {"zh": "{file} 已是最新", "en": "{file} is already up to date"},
    "addin.backed_up": {"zh": "原文件 {file} 已备份到 {backup}", "en": "Backed up the previous {file} to {backup}"},
    "addin.config_written": {"zh": "加载项的 xlwings 配置：{file}（编码 {encoding}）；未改动您的 {xlwings_conf}",
                             "en": "The add-in's xlwings config: {file} ({encoding}); your {xlwings_conf} was not touched"},
    "addin.restart": {"zh": "请重新启动 Excel（macOS 上用 Cmd-Q 退出）：功能区上会出现 OrderDesk 选项卡。撤销：orderdesk addin remove",
                      "en": "Restart Excel (on macOS quit with Cmd-Q): the OrderDesk tab appears on the ribbon. "
                            "To undo: orderdesk addin remove"},
    "addin.removed": {"zh": "已删除 {file}", "en": "Removed {file}"},
    "addin.restored": {"zh": "已从 {backup} 恢复 {file}", "en": "Restored {file} from {backup}"},
    "addin.moved_aside": {"zh": "{file} 在安装后被修改过：已移到 {backup}，未删除", "en": "{file} was changed after the install: moved to {backup}, not deleted"},
    "addin.left": {"zh": "{file} 在安装 OrderDesk 之前就已存在：保留", "en": "{file} was there before OrderDesk: left in place"},
    "addin.templates_copied": {"zh": "已复制 {file}", "en": "Copied {file}"},
    "addin.template_exists": {"zh": "{file} 已存在 — 请换一个文件夹，不覆盖已有文件", "en": "{file} already exists — choose another folder; existing files are not overwritten"},
    "addin.status.package": {"zh": "安装包中的加载项：{file}（{origin}；已检查：VBA 项目 {project}，xlwings {xlwings}{manifest}）",
                             "en": "package add-in: {file} ({origin}; checked: VBA project {project}, xlwings {xlwings}{manifest})"},
    "addin.status.manifest_ok": {"zh": "，sha256 与清单一致", "en": ", sha256 matches the manifest"},
    "addin.status.origin.package": {"zh": "随安装包", "en": "from the installed package"},
    "addin.status.origin.checkout": {"zh": "源代码目录", "en": "from the source checkout"},
    "addin.status.addin": {"zh": "加载项：{file}（{state}）", "en": "add-in: {file} ({state})"},
    "addin.status.state.current": {"zh": "已安装，与安装包一致", "en": "installed, same as the package's"},
    "addin.status.state.other": {"zh": "已安装，但与此安装包的不同：运行 orderdesk addin install 更新", "en": "installed, but not this package's: run orderdesk addin install to update it"},
    "addin.status.state.missing": {"zh": "未安装：运行 orderdesk addin install", "en": "not installed: run orderdesk addin install"},
    "addin.status.config": {"zh": "加载项配置：{file}（{state}）", "en": "add-in config: {file} ({state})"},
    "addin.status.config.present": {"zh": "编码 {encoding}", "en": "{encoding}"},
    "addin.status.config.missing": {"zh": "不存在：运行 orderdesk addin install", "en": "missing: run orderdesk addin install"},
    "addin.status.config.other_python": {"zh": "注意：配置中的 Python（{configured}）不是当前这个（{current}）；要让 Excel 使用当前 Python，请用它运行 orderdesk addin install",
                                         "en": "note: the config names another Python ({configured}) than this one ({current}); "
                                               "run orderdesk addin install with this one for Excel to use it"},
    "addin.status.dll_ok": {"zh": "xlwings DLL：{name} 位于 {folder}，加载项在此查找 — 正常", "en": "xlwings DLL: {name} is in {folder}, where the add-in looks for it — OK"},
    "addin.status.dll_elsewhere": {"zh": "xlwings DLL：{name} 位于 {found}，但加载项只在 {looked} 中查找（按用户安装 pip --user 会放在别处）。"
                                         "解决：把 OrderDesk 安装到虚拟环境（py -m venv C:\\OrderDesk\\venv，再用其中的 pip 安装并运行 orderdesk addin install），"
                                         "或把 {found} 复制到 {first}",
                                   "en": "xlwings DLL: {name} is in {found}, but the add-in looks only in {looked} (a per-user "
                                         "install, pip --user, puts it elsewhere). Fix: install OrderDesk in a virtual "
                                         "environment (py -m venv C:\\OrderDesk\\venv, then its pip install orderdesk and its "
                                         "orderdesk addin install), or copy {found} to {first}"},
    "addin.status.dll_missing": {"zh": "xlwings DLL：未找到 {name}（加载项在 {looked} 中查找）：请用同一个 Python 重新安装 xlwings=={version}",
                                 "en": "xlwings DLL: {name} was not found (the add-in looks in {looked}): reinstall "
                                       "xlwings=={version} with this Python"},
    "addin.status.dll_store": {"zh": "xlwings DLL：{name} 位于 {found}，但加载项只在 {looked} 中查找（Microsoft Store 版 Python 的包安装在单独的位置，"
                                      "其程序文件夹不可写入）。解决：把 OrderDesk 安装到虚拟环境（py -m venv C:\\OrderDesk\\venv，"
                                      "再用其中的 pip 安装并运行 orderdesk addin install）",
                                "en": "xlwings DLL: {name} is in {found}, but the add-in looks only in {looked} (the "
                                      "Microsoft Store Python keeps packages apart, and its folder cannot be written). Fix: "
                                      "install OrderDesk in a virtual environment (py -m venv C:\\OrderDesk\\venv, then its "
                                      "pip install orderdesk and its orderdesk addin install)"},
    "addin.status.dll_path_ok": {"zh": "xlwings DLL：{name} 位于 PATH 中的 {folder}，Windows 能找到它（加载项配置未指定 Python）— 正常",
                                 "en": "xlwings DLL: {name} is in {folder} on PATH, where Windows finds it (the add-in's "
                                       "config names no Python) — OK"},
    "addin.status.dll_path_missing": {"zh": "xlwings DLL：加载项配置未指定 Python（将运行 {python}），Windows 只能在 PATH 中查找 {name}，"
                                            "但找不到（xlwings 安装的位置：{found}）。解决：用装有 OrderDesk 的 Python 运行 "
                                            "orderdesk addin install：它写入 Interpreter_Win，加载项随后从该 Python 的文件夹加载此 DLL",
                                      "en": "xlwings DLL: the add-in's config names no Python (it runs {python}), so Windows "
                                            "looks for {name} on PATH and does not find it (xlwings put it in: {found}). Fix: run "
                                            "orderdesk addin install with the Python that has OrderDesk: it writes "
                                            "Interpreter_Win, and the add-in then loads the DLL from that Python's folder"},
    "addin.status.script_ok": {"zh": "AppleScript：{file} — 正常", "en": "AppleScript: {file} — OK"},
    "addin.status.script_missing": {"zh": "AppleScript：缺少 {file}，RunPython 需要它：运行 orderdesk addin install",
                                    "en": "AppleScript: {file} is missing; RunPython needs it: run orderdesk addin install"},
    "addin.status.xlwings_conf": {"zh": "您的 xlwings 配置：{file}（OrderDesk 不读写它）", "en": "your xlwings config: {file} (OrderDesk neither reads nor writes it)"},
    "addin.status.xlwings_conf_old": {"zh": "注意：{file} 中有旧版 OrderDesk 写入的 {keys} 行，它们会让您的其他 xlwings 工作簿使用 OrderDesk 的设置 — 请删除这些行",
                                      "en": "note: {file} holds the lines {keys} that an older OrderDesk install wrote; they make "
                                            "your other xlwings workbooks use OrderDesk's settings — delete those lines"},
    "addin.status.python": {"zh": "Python：{path}", "en": "python: {path}"},
    "addin.generated_updated": {"zh": "已更新 {file}", "en": "updated {file}"},
    "addin.generated_current": {"zh": "macros/generated 已是最新", "en": "macros/generated is up to date"},
    "addin.generated_stale": {"zh": "macros/generated 已过期（{names}）：运行 orderdesk addin generate 并提交",
                              "en": "macros/generated is stale ({names}): run `orderdesk addin generate` and commit"},
    "addin.status.templates": {"zh": "模板：{folder}（orderdesk addin templates --out 文件夹 可复制出来）", "en": "templates: {folder} (orderdesk addin templates --out FOLDER copies them)"},

    # --- Excel buttons (addin.excel.actions): the message box after each button ------------------
    "excel.error": {"zh": "错误：{error}", "en": "Error: {error}"},
    "excel.review_done": {"zh": "合同评审：{lines} 行，见工作表 {sheet}（{summary}）。",
                          "en": "Contract review: {lines} line(s) on sheet {sheet} ({summary})."},
    "excel.review_plan": {"zh": "物料与产能检查依据工作表 {sheets}。", "en": "Material and capacity checked from sheets {sheets}."},
    "excel.verdict.pass": {"zh": "通过 {n}", "en": "pass {n}"},
    "excel.verdict.warn": {"zh": "警告 {n}", "en": "warn {n}"},
    "excel.verdict.fail": {"zh": "不通过 {n}", "en": "fail {n}"},
    # `orderdesk review`'s text view (the verdict of a line, its promise date, the file written)
    "review.verdict_word.pass": {"zh": "通过", "en": "PASS"},
    "review.verdict_word.warn": {"zh": "警告", "en": "WARN"},
    "review.verdict_word.fail": {"zh": "不通过", "en": "FAIL"},
    "review.promise_on": {"zh": "承诺交期 {date}", "en": "promise {date}"},
    "review.wrote": {"zh": "已写入 {out}", "en": "wrote {out}"},
    # --- `orderdesk otd`'s table and text lines (commands/otd.py) ---------------------------------
    "otd_cli.customer": {"zh": "客户", "en": "Customer"},
    "otd_cli.month": {"zh": "月份", "en": "Month"},
    "otd_cli.part_no": {"zh": "料号", "en": "Part No"},
    "otd_cli.owner": {"zh": "跟单员", "en": "Owner"},
    "otd_cli.priority": {"zh": "客户等级", "en": "Priority"},
    "otd_cli.supplier": {"zh": "供应商", "en": "Supplier"},
    "otd_cli.lines": {"zh": "行数", "en": "Lines"},
    "otd_cli.on_time": {"zh": "准时", "en": "On time"},
    "otd_cli.late": {"zh": "延误", "en": "Late"},
    "otd_cli.early": {"zh": "提前", "en": "Early"},
    "otd_cli.pending": {"zh": "未到期", "en": "Pending"},
    "otd_cli.otd": {"zh": "准时交付率", "en": "OTD"},
    "otd_cli.otif": {"zh": "准时足量率", "en": "OTIF"},
    "otd_cli.avg_days_late": {"zh": "平均延误天数", "en": "Avg days late"},
    "otd_cli.total": {"zh": "合计", "en": "Total"},
    "otd_cli.title": {"zh": "截至 {as_of} 的准时交付（交期基准 {basis}，延误容差 {late} 天{early}{period}{weight}）", "en": "On-time delivery as of {as_of} (basis {basis}, late tolerance {late} d{early}{period}{weight})"},
    "otd_cli.early_window": {"zh": "，提前容差 {n} 天", "en": ", early tolerance {n} d"},
    "otd_cli.period": {"zh": "，交期 {start} 至 {end}", "en": ", due {start} to {end}"},
    "otd_cli.weight": {"zh": "，按{w}加权", "en": ", weighted by {w}"},
    "otd_cli.excluded": {"zh": "不在统计范围：已取消 {cancelled}，无交期 {no_due_date}，未到期 {not_yet_due}", "en": "Not in the cohort: {cancelled} cancelled, {no_due_date} without a due date, {not_yet_due} not yet due"},
    "otd_cli.rows": {"zh": "行数：读取 {read} = 有效 {valid} + 问题 {issues} + 空行/合计行 {blank_or_total}", "en": "Rows: read {read} = valid {valid} + issues {issues} + blank/total {blank_or_total}"},
    "otd_cli.risk": {"zh": "截至 {as_of} 的未完成行：逾期 {overdue}，有风险 {at_risk}（{h} 个工作日内到期，日历 {cal}）", "en": "Open lines at {as_of}: {overdue} overdue, {at_risk} at risk (due within {h} working days, calendar {cal})"},
    "otd_cli.unknown": {"zh": "未知", "en": "n/a"},
    "otd_cli.none": {"zh": "（空）", "en": "(none)"},
    "otd_cli.weight_qty": {"zh": "数量", "en": "quantity"},
    "otd_cli.weight_value": {"zh": "金额", "en": "value"},
    # SPEC 13: order level, filters, deliveries (otd), the open order book (backlog)
    "otd_cli.level_order": {"zh": "订单级：每张订单计一次，其所有行都准时（足量）才算准时（足量）；行数列为订单数", "en": "Order level: each order counts once, on time (in full) only when all its lines are; Lines counts orders"},
    "otd_cli.filter": {"zh": "只统计：{filters}", "en": "Lines selected: {filters}"},
    "otd_cli.deliveries": {"zh": "交货记录 {rows} 条，对应 {lines} 行；分批交货 {partial} 行，未交齐 {incomplete} 行；问题 {issues} 条", "en": "Deliveries: {rows} rows against {lines} lines; {partial} lines delivered in parts, {incomplete} not complete; {issues} issues"},
    "otd_cli.delivery_more": {"zh": "……另有 {n} 条问题（--format json 列出全部）", "en": "… and {n} more issues (--format json lists them all)"},
    # SPEC 13 lead times (otd --lead-times, the monthly workbook's Lead times sheet)
    "lead.title": {"zh": "交货周期（下单日期至交齐日期，日历天）", "en": "Lead times (order date to completion, calendar days)"},
    "lead.customer": {"zh": "客户", "en": "Customer"},
    "lead.part_no": {"zh": "料号", "en": "Part No"},
    "lead.owner": {"zh": "跟单员", "en": "Owner"},
    "lead.supplier": {"zh": "供应商", "en": "Supplier"},
    "lead.priority": {"zh": "客户等级", "en": "Priority"},
    "lead.lines": {"zh": "已交齐行数", "en": "Lines"},
    "lead.median_days": {"zh": "中位数（天）", "en": "Median (days)"},
    "lead.p90_days": {"zh": "90 分位（天）", "en": "90th pct (days)"},
    "lead.quoted_days": {"zh": "报价交期（工作日）", "en": "Quoted (working days)"},
    "lead.quoted_lines": {"zh": "有报价行数", "en": "Quoted lines"},
    "lead.within_quote": {"zh": "报价期内交齐", "en": "Within quote"},
    "lead.total": {"zh": "合计", "en": "Total"},
    "lead.none": {"zh": "（空）", "en": "(none)"},
    "lead.excluded": {"zh": "未计入：无下单日期 {no_order_date} 行，交齐日期早于下单日期 {before_order_date} 行", "en": "Not counted: {no_order_date} lines without an order date, {before_order_date} completed before their order date"},
    "sheet.leadtimes": {"zh": "交货周期", "en": "Lead times"},
    "leadtimes.sheet_title": {"zh": "交货周期（{start} 至 {end} 交齐的行）", "en": "Lead times of the lines completed from {start} to {end}"},
    "leadtimes.sheet_note": {"zh": "交货周期 = 交齐日期 − 下单日期（日历天）；分批交货以交齐之日为准；报价交期为报价单的交期天数（工作日），报价期内交齐 = 在下单日期加报价工作日之内交齐的比例", "en": "Lead time = completion − order date (calendar days); a line delivered in parts completes on the day its quantity is reached; quoted = the quote's lead time (working days); within quote = share completed by the order date plus the quoted working days"},
    "backlog_cli.customer": {"zh": "客户", "en": "Customer"},
    "backlog_cli.part_no": {"zh": "料号", "en": "Part No"},
    "backlog_cli.month": {"zh": "交期月份", "en": "Due month"},
    "backlog_cli.owner": {"zh": "跟单员", "en": "Owner"},
    "backlog_cli.priority": {"zh": "客户等级", "en": "Priority"},
    "backlog_cli.supplier": {"zh": "供应商", "en": "Supplier"},
    "backlog_cli.currency": {"zh": "币种", "en": "Currency"},
    "backlog_cli.open_lines": {"zh": "未交行数", "en": "Open lines"},
    "backlog_cli.overdue_qty": {"zh": "逾期未交数量", "en": "Overdue qty"},
    "backlog_cli.overdue_value": {"zh": "逾期未交金额", "en": "Overdue value"},
    "backlog_cli.open_qty": {"zh": "未交数量", "en": "Open qty"},
    "backlog_cli.open_value": {"zh": "未交金额", "en": "Open value"},
    "backlog_cli.total": {"zh": "合计", "en": "Total"},
    "backlog_cli.none": {"zh": "（空）", "en": "(none)"},
    "backlog_cli.unknown": {"zh": "未知", "en": "n/a"},
    "backlog_cli.title": {"zh": "截至 {as_of} 的未交订单（交期基准 {basis}；逾期 = 已过交期仍未交）", "en": "Open order book as of {as_of} (basis {basis}; overdue = past due and not yet delivered)"},
    "backlog_cli.unpriced": {"zh": "{n} 个未交行没有单价：其所在组的金额为未知", "en": "{n} open lines have no unit price: the value of their groups is unknown"},
    "backlog_cli.mixed_currency": {"zh": "未交行有多种币种（{currencies}）：金额按币种分组（--by currency）才有意义", "en": "Open lines are in several currencies ({currencies}): a value is only meaningful per currency (--by currency)"},
    "sheet.backlog": {"zh": "未交订单", "en": "Backlog"},
    "backlog.sheet_title": {"zh": "未交订单（截至 {as_of}）", "en": "Open order book as of {as_of}"},
    "backlog.sheet_note": {"zh": "未交 = 订单数量 − 已交数量（已取消、已结案行不计）；逾期 = 已过交期（含容差）仍未交；按客户、料号、交期月份，逾期在前", "en": "Open = ordered − delivered (cancelled and closed lines excluded); overdue = past due (+ tolerance) and still open; by customer, part and due month, overdue first"},
    "summary.order_level": {"zh": "订单级（所有行都准时才算）", "en": "Order level (all lines on time)"},
    # --- `orderdesk monthly`'s report of what was sent (commands/monthly.py) -------------------------
    "monthly.dry_run": {"zh": "{month} 试运行：未发送任何邮件。", "en": "Dry run for {month}: nothing was sent."},
    "monthly.workbook": {"zh": "工作簿：{path}", "en": "Workbook: {path}"},
    "monthly.from": {"zh": "发件人：{sender}", "en": "From:     {sender}"},
    "monthly.subject": {"zh": "主题：  {subject}", "en": "Subject:  {subject}"},
    "monthly.nothing_to_send": {"zh": "{month}：每位收件人都已收到工作簿，无需发送（重发请加 --force）。",
                                "en": "{month}: every recipient already has the workbook; nothing to send "
                                      "(use --force to resend)."},
    "monthly.failed": {"zh": "OTD-{month}.xlsx 的 {total} 次发送中有 {n} 次失败（第一个：{first}：{reply}）"
                             " — 再次运行同一命令，只重发这些",
                       "en": "{n} of {total} deliveries of OTD-{month}.xlsx failed (first: {first}: {reply}) — "
                             "run the same command again to retry only those"},
    "monthly.status.sent": {"zh": "已发送", "en": "sent"},
    "monthly.status.already_sent": {"zh": "此前已发送", "en": "already sent"},
    "monthly.status.failed": {"zh": "失败", "en": "FAILED"},
    "monthly.status.not_attempted": {"zh": "未发送", "en": "NOT SENT"},
    "monthly.status.would_send": {"zh": "将发送", "en": "would send"},
    "monthly.status.unrecorded": {"zh": "已发送未记录", "en": "UNRECORDED"},
    "monthly.unrecorded": {"zh": "OTD-{month}.xlsx 的 {total} 次发送中有 {n} 次已发出但未能写入发送记录（第一个：{first}：{reply}）"
                                 " — 请检查配置文件旁的发送记录文件",
                           "en": "{n} of {total} deliveries of OTD-{month}.xlsx went out but could not be recorded"
                                 " (first: {first}: {reply}) — check the record of sent mail beside the config"},
    "excel.risk_done": {"zh": "风险颜色：工作表 {sheet}，{column} 列：{summary}。",
                        "en": "Risk colours on sheet {sheet}, column {column}: {summary}."},
    "excel.risk_count.overdue": {"zh": "逾期 {n}", "en": "overdue {n}"},
    "excel.risk_count.at_risk": {"zh": "有风险 {n}", "en": "at_risk {n}"},
    "excel.risk_count.on_track": {"zh": "正常 {n}", "en": "on_track {n}"},
    "excel.risk_count.done": {"zh": "已完成 {n}", "en": "done {n}"},
    "excel.otd_title": {"zh": "按客户和月份的准交率 OTD %（交期基准：{basis}，截至 {as_of}）",
                        "en": "OTD % by customer and month (basis: {basis} date, as of {as_of})"},
    "excel.otd_done": {"zh": "准交率透视：工作表 {sheet}，总体 OTD {otd}。", "en": "OTD pivot on sheet {sheet}: overall OTD {otd}."},
    "excel.unknown": {"zh": "未知", "en": "n/a"},
    "excel.pareto_done": {"zh": "根因汇总：工作表 {sheet}，{top}。", "en": "Root-cause Pareto on sheet {sheet}: {top}."},
    "excel.pareto_top": {"zh": "首要原因：{label}（{count}）", "en": "top cause: {label} ({count})"},
    "excel.pareto_none": {"zh": "无延误订单行", "en": "no late lines"},
    "excel.promise_done": {"zh": "{order}（{sheet} 第 {row} 行）：建议承诺交期 {date} — {how}。",
                           "en": "{order} ({sheet} row {row}): promise date {date} — {how}."},
    "excel.promise_none": {"zh": "无法承诺", "en": "cannot be promised"},
    "excel.promise_plan": {"zh": "按库存和产能可承诺", "en": "capable to promise from stock and capacity"},
    "excel.promise_quote": {"zh": "按报价交期的最早日期（加入 Stock 和 Capacity 工作表可按库存和产能承诺）",
                            "en": "earliest date the quoted lead time allows (add Stock and Capacity sheets "
                                  "for a capable-to-promise date)"},
    "excel.skipped": {"zh": "已跳过 {n} 行 — 请修正 {cells}", "en": "{n} row(s) skipped — fix {cells}"},
    "excel.no_sheet": {"zh": "{book}：没有{what}工作表 — 请将工作表命名为 {names}",
                       "en": "{book}: no {what} sheet — name one of the sheets {names}"},
    "excel.or": {"zh": " 或 ", "en": " or "},
    "excel.list_sep": {"zh": "，", "en": ", "},
    "excel.what.orders": {"zh": "订单", "en": "Orders"},
    "excel.what.quotes": {"zh": "报价", "en": "Quotes"},
    "excel.what.ledger": {"zh": "订单台账", "en": "order ledger"},
    "excel.select_line": {"zh": "请先在订单工作表中选择一个订单行（当前选择在 {sheet}）",
                          "en": "select an order line on the Orders sheet first (the selection is on {sheet})"},
    "excel.not_a_line": {"zh": "{sheet}!A{row} 不是订单行 — 请选择第 {first} 行及以下的单元格",
                         "en": "{sheet}!A{row} is not an order line — select a cell in rows {first} and below"},
    "excel.place_taken": {"zh": "未写入任何内容：{cell} 中有您的数据「{value}」。OrderDesk 只写入空白单元格或它自己的列（{headers}）"
                                "— 请清空或移走该列后再按一次",
                          "en": "Nothing written: {cell} holds your value '{value}'. OrderDesk writes only into empty cells "
                                "or its own columns ({headers}) — clear or move that column and press again"},
    "excel.place_merged": {"zh": "未写入任何内容：{cell} 属于合并单元格。OrderDesk 只写入空白单元格或它自己的列（{headers}）"
                                 "— 请取消该合并后再按一次",
                           "en": "Nothing written: {cell} is part of merged cells. OrderDesk writes only into empty cells "
                                 "or its own columns ({headers}) — unmerge them and press again"},
    "excel.sheet_taken": {"zh": "未写入任何内容：工作表 {sheet} 中有您的数据（{cell}「{value}」），OrderDesk 只替换它自己写的工作表"
                                "— 请将您的工作表改名后再按一次",
                          "en": "Nothing written: sheet {sheet} holds your data ({cell} '{value}'); OrderDesk replaces only "
                                "the sheets it wrote — rename your sheet and press again"},
    "excel.place_full": {"zh": "未写入任何内容：工作表 {sheet} 右侧已没有空列可写入 {headers}",
                         "en": "Nothing written: sheet {sheet} has no empty column left on the right for {headers}"},
    "excel.no_promise_source": {"zh": "{book}：没有 Quotes、Stock 或 Capacity 工作表可用于承诺交期 — 请添加一个",
                                "en": "{book}: no Quotes, Stock or Capacity sheet to promise from — add one"},
    "udf.promise_no_plan": {"zh": "OD_PROMISE 需要库存或产能：在本工作簿中加入 Stock（库存）工作表（以及 Capacity 和 Routing 工作表），"
                                  "或将库存表、产能表作为参数传入",
                            "en": "OD_PROMISE needs stock or capacity: add a Stock sheet (and Capacity + Routing sheets) "
                                  "to this workbook, or pass the stock and capacity tables as arguments"},

    # --- honest results (SPEC section 9): what was measured, what was not and why ----------------
    "unknown.no_ship_date_column": {"zh": "文件中没有完成日期列（出货、交货或收货日期），无法计算准时率",
                                    "en": "the file has no ship-date column (no ship, delivery or receipt date), "
                                          "so on-time delivery cannot be measured"},
    "unknown.closed_without_date": {"zh": "到期的订单行都已结案，但都没有完成日期",
                                    "en": "every line due was closed without its completion date"},
    "unknown.no_lines_due": {"zh": "没有可考核的到期订单行", "en": "no line due could be measured"},
    "unknown.no_shipped_qty": {"zh": "无出货数量", "en": "no shipped quantity"},
    "unknown.in_full_unknown": {"zh": "有准时行缺少数量或出货数量", "en": "an on-time line has no quantity or shipped quantity"},
    "unknown.otd": {"zh": "OTD 未知：{reason}", "en": "OTD unknown: {reason}"},
    "unknown.short": {"zh": "未知", "en": "unknown"},
    "outcome.closed_without_date": {"zh": "已结案无完成日期", "en": "closed without date"},
    "outcome.no_ship_date_column": {"zh": "无状态无完成日期", "en": "no status, no ship date"},
    "excluded.closed_without_date": {"zh": "{n} 行已结案但无完成日期", "en": "{n} closed without a completion date"},
    "excluded.no_ship_date_column": {"zh": "{n} 行无状态且无完成日期", "en": "{n} with neither a status nor a ship date"},
    "headline.measured": {"zh": "已考核 {measured} 行（准时、延误或提前）", "en": "Measured {measured} lines (on time, late or early)"},
    "headline.pending": {"zh": "未到出货期 {n} 行", "en": "{n} pending"},
    "headline.not_measured": {"zh": "未能考核：{what}", "en": "not measured: {what}"},
    "headline.sep": {"zh": "；", "en": "; "},
    "headline.list_sep": {"zh": "，", "en": ", "},
    "headline.end": {"zh": "。", "en": "."},

    # --- data issues (report's data-issues sheet): the readers' messages and the engine's flags ---
    "issue.not a date": {"zh": "不是日期", "en": "not a date"},
    "issue.not a number": {"zh": "不是数字", "en": "not a number"},
    "issue.a date where a number was expected": {"zh": "应为数字，却是日期", "en": "a date where a number was expected"},
    "issue.is empty (a value is required)": {"zh": "为空（必填）", "en": "is empty (a value is required)"},
    "issue.must not be negative": {"zh": "不能为负数", "en": "must not be negative"},
    "issue.must be more than 0": {"zh": "必须大于 0", "en": "must be more than 0"},
    "issue.not yes/no": {"zh": "不是 是/否", "en": "not yes/no"},
    "issue.a date without a year, and no order date to take it from": {
        "zh": "日期缺少年份，且没有订单日期可以参照", "en": "a date without a year, and no order date to take it from"},
    "issue.not a known status": {"zh": "不是可识别的状态（应为 未开始、生产中、已出货、已结案 或 已取消）",
                                 "en": "not a known status (expected open, in progress, shipped, closed or cancelled)"},
    "issue.too long": {"zh": "文本超过 Excel 单元格上限 32,767 个字符：写出的工作簿只保留前 32,767 个",
                       "en": "text longer than Excel's 32,767 characters per cell: the workbooks OrderDesk writes "
                             "keep the first 32,767"},
    "issue.no_ship_date": {"zh": "状态为已出货/已结案，但没有出货日期：无法考核准时，不计入准时率",
                           "en": "shipped or closed, but no ship date: on time cannot be judged, left out of the rate"},
    "issue.ship_after_as_of": {"zh": "出货日期晚于统计截止日：按截止日时尚未出货计算",
                               "en": "ship date after the as-of date: counted as not shipped on the as-of date"},
    "field.requested_date": {"zh": "客户要求交期", "en": "Requested date"},
    "field.promised_date": {"zh": "承诺交期", "en": "Promised date"},
    "field.first_promised_date": {"zh": "原承诺交期", "en": "First promised date"},
    "field.agreed_date": {"zh": "客户变更交期", "en": "Agreed date"},
    "field.order_date": {"zh": "下单日期", "en": "Order date"},
    "field.status": {"zh": "状态", "en": "Status"},
    "field.shipped_qty": {"zh": "出货数量", "en": "Shipped qty"},
    "field.unit_price": {"zh": "单价", "en": "Unit price"},
    "field.exception_type": {"zh": "异常类型", "en": "Exception type"},
    "field.exception_note": {"zh": "异常说明", "en": "Exception note"},
    "severity.error": {"zh": "错误（整行未读入）", "en": "error (row left out)"},
    "severity.warning": {"zh": "提醒（已读入）", "en": "warning (row kept)"},

    # --- messages ------------------------------------------------------------------------------
    "msg.report_written": {"zh": "已写入 {out}: {month} 考核 {lines} 行, OTD {otd}",
                           "en": "Wrote {out}: {month}, {lines} lines due, OTD {otd}"},
    "msg.risk_written": {"zh": "已写入 {out}: {rows} 行, 逾期 {overdue}, 有风险 {at_risk}",
                         "en": "Wrote {out}: {rows} lines, {overdue} overdue, {at_risk} at risk"},
    "msg.same_file": {"zh": "{out} 就是输入文件: 请换一个输出文件名 (OrderDesk 从不写入输入文件)",
                      "en": "{out} is the input file: choose another output name (OrderDesk never writes into its input)"},
    "msg.would_lose": {
        "zh": "{file} 含有 {parts}, 复制时会丢失: 请加 --separate, 把风险表写入一个新的工作簿",
        "en": "{file} contains {parts}, which a copy would lose: use --separate to write the risk sheet into a new workbook"},
    "msg.no_month": {"zh": "需要 --month YYYY-MM", "en": "--month YYYY-MM is required"},
    "part.charts": {"zh": "图表", "en": "charts"},
    "part.drawings": {"zh": "图形/形状", "en": "drawings or shapes"},
    "part.images": {"zh": "图片", "en": "images"},
    "part.controls": {"zh": "表单控件", "en": "form controls"},
    "part.sparklines": {"zh": "迷你图", "en": "sparklines"},
    "part.databars": {"zh": "数据条 (扩展格式)", "en": "extended data bars"},
    "part.slicers": {"zh": "切片器", "en": "slicers"},
    "part.pivots": {"zh": "数据透视表", "en": "pivot tables"},
    "part.comments": {"zh": "批注", "en": "comments"},
    "part.ole": {"zh": "嵌入对象", "en": "embedded objects"},
    "part.print_area": {"zh": "打印区域", "en": "print area"},
    "part.timelines": {"zh": "日程表", "en": "timelines"},

    # --- tables moved here so that all user text is one table (reasons, labels of the review, risk, promise) ---
    'reason.quote_ok': {"zh": '报价单 {q} 有效期 {span}', "en": 'quote {q} valid {span}'},
    'reason.span_both': {"zh": '{vf}..{vu}', "en": '{vf}..{vu}'},
    'reason.span_until': {"zh": '至 {vu}', "en": 'until {vu}'},
    'reason.span_from': {"zh": '自 {vf} 起', "en": 'from {vf}'},
    'reason.span_open': {"zh": '未注明', "en": 'with no validity dates'},
    'reason.quote_none': {"zh": '客户 {cust} 料号 {part} 无报价', "en": 'no quote for {cust} / {part}'},
    'reason.quote_expired': {"zh": '报价单 {q} 已于 {vu} 过期', "en": 'quote {q} expired on {vu}'},
    'reason.quote_future': {"zh": '报价单 {q} 自 {vf} 起才生效', "en": 'quote {q} is valid only from {vf}'},
    'reason.quote_no_date': {"zh": '订单无下单日期；未核对报价单 {q} 有效期', "en": 'PO has no order date; quote {q} used unchecked'},
    'reason.charge_ok': {"zh": '{kind}费用已在报价单 {q} 报价', "en": '{kind} charge quoted in {q}'},
    'reason.rev_ok': {"zh": '版本 {rev}', "en": 'rev {rev}'},
    'reason.rev_none_quote': {"zh": '报价未注明版本', "en": 'quote names no revision'},
    'reason.rev_missing': {"zh": '订单未注明版本；报价版本 {qrev}', "en": 'PO gives no revision; quote is rev {qrev}'},
    'reason.rev_diff': {"zh": '订单版本 {rev} 与报价版本 {qrev} 不符', "en": 'PO rev {rev} vs quote rev {qrev}'},
    'reason.price_ok': {"zh": '订单单价 {po} = 报价 {qp}（{qty} 件）', "en": 'PO {po} = quote {qp} for {qty} pcs'},
    'reason.price_high': {"zh": '订单单价 {po} 高于报价 {qp}（{qty} 件）', "en": 'PO {po} vs quote {qp} for {qty} pcs (above quote)'},
    'reason.price_low': {"zh": '订单单价 {po} 低于报价 {qp}（{qty} 件）', "en": 'PO {po} vs quote {qp} for {qty} pcs (below quote)'},
    'reason.price_small': {"zh": '数量 {qty} 低于最小阶梯 {brk}；订单单价 {po}，报价 {qp}', "en": 'qty {qty} below the smallest break {brk}; PO {po} vs quote {qp}'},
    'reason.price_missing': {"zh": '订单无单价；报价 {qp}（{qty} 件）', "en": 'PO has no unit price; quote {qp} for {qty} pcs'},
    'reason.price_currency': {"zh": '订单币种 {pc} 与报价币种 {qc} 不符', "en": 'currency {pc} on PO vs {qc} on quote'},
    'reason.price_noquote': {"zh": '报价无 {qty} 件的单价', "en": 'quote has no price for {qty} pcs'},
    'reason.lt_ok': {"zh": '要求交期 {req} ≥ 最早交期 {earliest}（{days} 个工作日）', "en": 'requested {req} ≥ earliest {earliest} ({days} working days)'},
    'reason.lt_late': {"zh": '要求交期 {req} 早于最早交期 {earliest}（自 {od} 起 {days} 个工作日）', "en": 'requested {req} is before the earliest {earliest} ({days} working days from {od})'},
    'reason.lt_missing': {"zh": '订单无要求交期；最早交期 {earliest}', "en": 'PO has no requested date; earliest {earliest}'},
    'reason.lt_no_order_date': {"zh": '订单无下单日期；未核对交期 {days} 个工作日', "en": 'PO has no order date; lead time {days} working days not checked'},
    'reason.lt_none': {"zh": '报价未注明交期', "en": 'quote gives no lead time'},
    'reason.moq_none': {"zh": '报价无最小起订量', "en": 'no MOQ in quote'},
    'reason.moq_ok': {"zh": '数量 {qty} ≥ 起订量 {moq}', "en": 'qty {qty} ≥ MOQ {moq}'},
    'reason.moq_charge': {"zh": '数量 {qty} 低于起订量 {moq}；订单含MOQ费 {paid}', "en": 'qty {qty} below MOQ {moq}; MOQ charge {paid} on PO'},
    'reason.moq_charge_low': {"zh": '数量 {qty} 低于起订量 {moq}；订单MOQ费 {paid} 少于报价 {quoted}', "en": 'qty {qty} below MOQ {moq}; MOQ charge {paid} on PO vs {quoted} quoted'},
    'reason.moq_fail': {"zh": '数量 {qty} 低于起订量 {moq}，订单无MOQ费', "en": 'qty {qty} below MOQ {moq} and no MOQ charge on the PO'},
    'reason.tool_none': {"zh": '报价无模具费', "en": 'no tooling in quote'},
    'reason.tool_po': {"zh": '订单含模具费 {paid}', "en": 'tooling {paid} on PO'},
    'reason.tool_po_low': {"zh": '订单模具费 {paid} 少于报价 {quoted}', "en": 'tooling {paid} on PO vs {quoted} quoted'},
    'reason.tool_earlier': {"zh": '模具费已在之前订单 {po} 支付', "en": 'tooling paid on earlier PO {po}'},
    'reason.tool_fail': {"zh": '报价模具费 {quoted} 未在订单中，也未在之前订单支付', "en": 'tooling {quoted} quoted is not on the PO nor paid on an earlier PO'},
    'reason.kind_tooling': {"zh": '模具', "en": 'tooling'},
    'reason.kind_moq': {"zh": 'MOQ', "en": 'MOQ'},
    'promise.mat_ok': {"zh": '{count} 个物料于 {ready} 前齐套', "en": '{count} components available by {ready}'},
    'promise.mat_ok_one': {"zh": '{part} 于 {ready} 前可用', "en": '{part} available by {ready}'},
    'promise.mat_short': {"zh": '{need} 前欠料：{parts}', "en": 'short by {need}: {parts}'},
    'promise.mat_part': {"zh": '{part} {ready} 到料', "en": '{part} ready {ready}'},
    'promise.mat_part_buy': {"zh": '{part} {ready} 到料（需采购 {qty}）', "en": '{part} ready {ready} ({qty} to buy)'},
    'promise.mat_part_none': {"zh": '{part} 欠 {qty}，无库存、采购单或采购周期', "en": '{part} {qty} short, no stock, purchase or lead time'},
    'promise.mat_no_date': {"zh": '订单无要求交期；物料齐套 {ready}', "en": 'PO has no requested date; material ready {ready}'},
    'promise.mat_unknown': {"zh": '无法排程：{parts}', "en": 'cannot plan: {parts}'},
    'promise.more': {"zh": '…另 {n} 项', "en": '… and {n} more'},
    'promise.cap_ok': {"zh": '{lines} {finish} 完工（{hours} 小时）', "en": '{lines} finishes {finish} ({hours} h)'},
    'promise.cap_late': {"zh": '{lines}：{finish} 完工，晚于 {need}；{days} 超负荷 {over} 小时', "en": '{lines}: finishes {finish}, after {need}; {over} h over on {days}'},
    'promise.cap_no_line': {"zh": '产能表中没有产线 {lines}', "en": 'line {lines} is not in the capacity sheet'},
    'promise.cap_no_routing': {"zh": '{part} 无工艺路线', "en": 'no routing for {part}'},
    'promise.cap_no_date': {"zh": '订单无要求交期；产能完工 {finish}', "en": 'PO has no requested date; capacity finish {finish}'},
    'riskwhy.overdue': {"zh": '逾期{n}天', "en": 'overdue by {n} days'},
    'riskwhy.horizon': {"zh": '{date}到期，{h}个工作日内', "en": 'due {date}, within {h} working days'},
    'riskwhy.milestone': {"zh": '{m}计划{date}未完成', "en": '{m} planned {date} not done'},
    'riskwhy.projected': {"zh": '预计完成{date}晚于交期', "en": 'projected finish {date} after due date'},
    'riskwhy.no_due': {"zh": '无交期', "en": 'no due date'},
    'milestone.scheduled': {"zh": '排产', "en": 'production start'},
    'milestone.material': {"zh": '领料', "en": 'material issue'},
    'milestone.first_article': {"zh": '首件', "en": 'first article'},
    'milestone.qc': {"zh": '质检', "en": 'QC'},
    'milestone.warehouse': {"zh": '入库', "en": 'warehousing'},
    'reviewbook.title': {"zh": '合同评审', "en": 'Contract review'},
    'reviewbook.reviewer': {"zh": '评审人', "en": 'Reviewer'},
    'reviewbook.review_date': {"zh": '评审日期', "en": 'Review date'},
    'reviewbook.sources': {"zh": '来源文件', "en": 'Sources'},
    'reviewbook.lines': {"zh": '订单行数', "en": 'PO lines'},
    'reviewbook.pass': {"zh": '通过', "en": 'pass'},
    'reviewbook.warn': {"zh": '警告', "en": 'warn'},
    'reviewbook.fail': {"zh": '不通过', "en": 'fail'},
    'reviewbook.order_no': {"zh": '订单号', "en": 'PO'},
    'reviewbook.line_no': {"zh": '行号', "en": 'Line'},
    'reviewbook.customer': {"zh": '客户', "en": 'Customer'},
    'reviewbook.part_no': {"zh": '料号', "en": 'Part No'},
    'reviewbook.revision': {"zh": '版本', "en": 'Rev'},
    'reviewbook.qty': {"zh": '数量', "en": 'Qty'},
    'reviewbook.unit_price': {"zh": '单价', "en": 'Unit price'},
    'reviewbook.currency': {"zh": '币种', "en": 'Currency'},
    'reviewbook.order_date': {"zh": '下单日期', "en": 'Order date'},
    'reviewbook.requested_date': {"zh": '要求交期', "en": 'Requested date'},
    'reviewbook.quote_no': {"zh": '报价单号', "en": 'Quote'},
    'reviewbook.quote': {"zh": '报价', "en": 'Quote'},
    'reviewbook.price': {"zh": '价格', "en": 'Price'},
    'reviewbook.lead_time': {"zh": '交期', "en": 'Lead time'},
    'reviewbook.moq': {"zh": '起订量', "en": 'MOQ'},
    'reviewbook.tooling': {"zh": '模具费', "en": 'Tooling'},
    'reviewbook.material': {"zh": '物料', "en": 'Material'},
    'reviewbook.capacity': {"zh": '产能', "en": 'Capacity'},
    'reviewbook.result': {"zh": '结果', "en": 'result'},
    'reviewbook.reason': {"zh": '说明', "en": 'reason'},
    'reviewbook.check_revision': {"zh": '版本核对', "en": 'Revision'},
    'reviewbook.verdict': {"zh": '评审结论', "en": 'Verdict'},
    'reviewbook.earliest_date': {"zh": '按报价交期最早日期', "en": 'Earliest by lead time'},
    'reviewbook.promise_date': {"zh": '可承诺交期', "en": 'Promise date'},
    'reviewbook.split': {"zh": '分批承诺', "en": 'Split promise'},
    'reviewbook.sign_sales': {"zh": '业务签字', "en": 'Sales sign-off'},
    'reviewbook.sign_pmc': {"zh": 'PMC签字', "en": 'PMC sign-off'},
    'reviewbook.sign_purchasing': {"zh": '采购签字', "en": 'Purchasing sign-off'},
    'reviewbook.sign_engineering': {"zh": '工程签字', "en": 'Engineering sign-off'},
    'reviewbook.comment': {"zh": '备注', "en": 'Comments'},
    'reviewbook.by': {"zh": '前', "en": 'by'},
    'reviewbook.note': {"zh": '评审记录（ISO 9001 8.2.3）：各部门在本栏签字确认。', "en": 'Review record per ISO 9001 8.2.3: each department signs in its column.'},
    'reviewbook.sheet': {"zh": '合同评审', "en": 'Review'},
    # --- order changes and customer notices (SPEC section 11) -----------------------------------
    'changes.sheet_log': {"zh": '变更记录', "en": 'Change log'},
    'changes.sheet_repromise': {"zh": '交期重排', "en": 'Re-promise'},
    'changes.sheet_notes': {"zh": '比对说明', "en": 'Matching notes'},
    'changes.sheet_customer': {"zh": '客户变更', "en": 'Cust'},
    'changes.sheet_production': {"zh": '生产变更', "en": 'Prod'},
    'changes.title': {"zh": '订单变更记录', "en": 'Order changes'},
    'changes.subtitle': {"zh": '原表 {old} → 新表 {new} · 比对日期 {as_of}', "en": 'Old {old} → new {new} · compared {as_of}'},
    'changes.counts': {"zh": '变更 {n} 项，涉及 {orders} 个订单；需通知的订单 {notice} 个', "en": '{n} changes in {orders} orders; {notice} orders need notices'},
    'changes.none': {"zh": '两份台账之间没有变更', "en": 'No changes between the two copies'},
    'changes.kind': {"zh": '变更项目', "en": 'Change'},
    'changes.old': {"zh": '原内容', "en": 'Was'},
    'changes.new': {"zh": '变更后', "en": 'Now'},
    'changes.old_row': {"zh": '原表行', "en": 'Old row'},
    'changes.new_row': {"zh": '新表行', "en": 'New row'},
    'changes.description': {"zh": '品名', "en": 'Description'},
    'changes.revision': {"zh": '版本', "en": 'Rev'},
    'changes.kind.added': {"zh": '新增订单行', "en": 'line added'},
    'changes.kind.removed': {"zh": '删除订单行', "en": 'line removed'},
    'changes.kind.cancelled': {"zh": '取消', "en": 'cancelled'},
    'changes.kind.qty': {"zh": '数量', "en": 'quantity'},
    'changes.kind.requested_date': {"zh": '客户交期', "en": 'requested date'},
    'changes.kind.promised_date': {"zh": '承诺交期', "en": 'promised date'},
    'changes.kind.part_no': {"zh": '料号', "en": 'part number'},
    'changes.kind.revision': {"zh": '版本', "en": 'revision'},
    'changes.kind.status': {"zh": '状态', "en": 'status'},
    'changes.status.open': {"zh": '未开始', "en": 'open'},
    'changes.status.in_progress': {"zh": '生产中', "en": 'in progress'},
    'changes.status.shipped': {"zh": '已出货', "en": 'shipped'},
    'changes.status.closed': {"zh": '已结案', "en": 'closed'},
    'changes.status.cancelled': {"zh": '已取消', "en": 'cancelled'},
    'changes.line_summary': {"zh": '料号 {part} 数量 {qty} 交期 {date}', "en": 'part {part}, qty {qty}, due {date}'},
    'changes.blank': {"zh": '(空)', "en": '(blank)'},
    'changes.issue.duplicate_key': {"zh": '{file}：订单 {order} 行 {line} 出现 {count} 次（第 {rows} 行）：未合并，逐行比对（先内容相同，再料号，再顺序）', "en": '{file}: order {order} line {line} appears {count} times (rows {rows}): not merged, each compared (identical first, then by part, then in file order)'},
    'changes.issue.no_line_no': {"zh": '{file}：订单 {order} 有 {count} 行无行号（第 {rows} 行）：按料号、再按顺序与另一份比对', "en": '{file}: order {order} has {count} lines without a line number (rows {rows}): matched by part number, then in file order'},
    'changes.more_issues': {"zh": '…另有 {n} 条（--format json 列出全部）', "en": '… and {n} more (--format json lists them all)'},
    'changes.issue.no_column': {"zh": '{file} 没有“{field}”列：该项未比对', "en": '{file} has no {field} column: not compared'},
    'changes.file.old': {"zh": '原表', "en": 'OLD'},
    'changes.file.new': {"zh": '新表', "en": 'NEW'},
    'changes.rows': {"zh": '{label} {file}（{sheet}）：读取 {read} 行，有效 {valid}，问题 {issues}，空白或合计 {blank}', "en": '{label} {file} ({sheet}): {read} rows read, {valid} valid, {issues} with issues, {blank} blank or total'},
    'changes.rejected': {"zh": '注意：有问题的行未参与比对，可能显示为“删除”或“新增”', "en": 'Note: rows with issues are not compared; they may show as removed or added'},
    'changes.notes_title': {"zh": '比对说明', "en": 'How the copies were matched'},
    'changes.issue_cell': {"zh": '单元格', "en": 'Cell'},
    'changes.issue_value': {"zh": '值', "en": 'Value'},
    'changes.issue_message': {"zh": '问题', "en": 'Problem'},
    'changes.rp_title': {"zh": '交期重排（可承诺交期，{as_of} 起算）', "en": 'Re-promise (capable-to-promise from {as_of})'},
    'changes.rp_note': {"zh": '变更行及与其共用物料或产线的未结订单行，按新旧两份台账分别排程', "en": 'Changed lines and the open lines sharing a component or production line with them, planned on each copy'},
    'changes.rp_none': {"zh": '没有需要重排的订单行', "en": 'No line to re-promise'},
    'changes.rp_moved': {"zh": '交期变化 {n} 行', "en": '{n} lines move'},
    'changes.old_promise': {"zh": '原可承诺交期', "en": 'Old promise'},
    'changes.new_promise': {"zh": '新可承诺交期', "en": 'New promise'},
    'changes.days': {"zh": '变化天数', "en": 'Days moved'},
    'changes.why': {"zh": '原因', "en": 'Why'},
    'changes.shared': {"zh": '共用物料/产线', "en": 'Shared parts / lines'},
    'changes.after_promise': {"zh": '晚于承诺交期', "en": 'After promised date'},
    'changes.reason': {"zh": '物料/产能说明', "en": 'Material / capacity'},
    'changes.why.changed': {"zh": '本行变更', "en": 'changed'},
    'changes.why.component': {"zh": '共用物料', "en": 'shares a component'},
    'changes.why.line': {"zh": '共用产线', "en": 'shares a line'},
    'changes.why.chain': {"zh": '间接影响', "en": 'moved indirectly'},
    'changes.yes': {"zh": '是', "en": 'yes'},
    'changes.promise_col': {"zh": '可承诺交期', "en": 'Promise date'},
    'changes.cust_title': {"zh": '客户订单变更通知单', "en": 'Customer Order Change Notice'},
    'changes.prod_title': {"zh": '生产任务通知变更单', "en": 'Production Order Change Notice'},
    'changes.to': {"zh": '致', "en": 'To'},
    'changes.to_production': {"zh": '生产部、PMC、采购部、品质部、仓库', "en": 'Production, PMC, Purchasing, Quality, Warehouse'},
    'changes.notice_no': {"zh": '通知单号', "en": 'Notice no'},
    'changes.notice_date': {"zh": '通知日期', "en": 'Date'},
    'changes.cust_intro': {"zh": '贵司订单 {order} 有以下变更，请核对确认：', "en": 'The following changes to your order {order} are recorded; please check and confirm:'},
    'changes.prod_intro': {"zh": '客户订单 {order} 变更如下，请各部门按变更后内容执行：', "en": 'Customer order {order} has changed as below; each department please work to the changed content:'},
    'changes.cust_confirm': {"zh": '请签字确认后回传。如有疑问请联系跟单员。', "en": 'Please sign and return. Contact your account manager with any question.'},
    'changes.sign_customer': {"zh": '客户确认（签字/盖章）', "en": 'Customer confirmation (signature / stamp)'},
    'changes.sign_sales': {"zh": '业务/跟单', "en": 'Sales / order coordinator'},
    'changes.sign_date': {"zh": '日期', "en": 'Date'},
    'changes.sign_pmc': {"zh": 'PMC', "en": 'PMC'},
    'changes.sign_production': {"zh": '生产部', "en": 'Production'},
    'changes.sign_purchasing': {"zh": '采购部', "en": 'Purchasing'},
    'changes.sign_quality': {"zh": '品质部', "en": 'Quality'},
    'changes.sign_warehouse': {"zh": '仓库', "en": 'Warehouse'},
    'changes.action': {"zh": '执行要求', "en": 'Action'},
    'changes.act.added': {"zh": '新增生产任务', "en": 'new production task'},
    'changes.act.removed': {"zh": '停止生产，冻结物料', "en": 'stop production, hold material'},
    'changes.act.cancelled': {"zh": '取消生产，冻结物料', "en": 'cancel production, hold material'},
    'changes.act.qty_up': {"zh": '增加 {n}', "en": 'increase by {n}'},
    'changes.act.qty_down': {"zh": '减少 {n}', "en": 'reduce by {n}'},
    'changes.act.later': {"zh": '推迟 {n} 天', "en": '{n} days later'},
    'changes.act.earlier': {"zh": '提前 {n} 天', "en": '{n} days earlier'},
    'changes.act.part_no': {"zh": '改用新料号，核对BOM与物料', "en": 'switch part: check BOM and material'},
    'changes.act.revision': {"zh": '按新版本生产，收回旧版图纸', "en": 'build to the new revision, withdraw old drawings'},
    'changes.act.date': {"zh": '按新日期排产', "en": 'reschedule to the new date'},
    'changes.prod_affected': {"zh": '受本次变更影响的其他订单行（共用物料或产线）', "en": 'Other order lines affected (shared parts or production line)'},
    'changes.customer_col': {"zh": '客户', "en": 'Customer'},
    'changes.order_col': {"zh": '订单号', "en": 'Order no'},
    'changes.line_col': {"zh": '行号', "en": 'Line'},
    'changes.part_col': {"zh": '料号', "en": 'Part no'},
    'changes.qty_col': {"zh": '数量', "en": 'Qty'},
    'changes.promised_col': {"zh": '承诺交期', "en": 'Promised date'},
    'changes.written': {"zh": '已写入 {out}：变更 {n} 项，需通知订单 {orders} 个，交期变化 {moved} 行', "en": 'wrote {out}: {n} changes, {orders} orders to notify, {moved} lines move'},
    'notice.sheet': {"zh": '订单进度通知', "en": 'Progress notice'},
    'notice.title': {"zh": '订单进度周报', "en": 'Weekly order progress'},
    'notice.to': {"zh": '致：{customer}', "en": 'To: {customer}'},
    'notice.period': {"zh": '截至 {as_of}（上次通知 {since}）', "en": 'As of {as_of} (last notice {since})'},
    'notice.summary': {"zh": '未交订单行 {open} 行：正常 {on_track}，有风险 {at_risk}，逾期 {overdue}；{since} 之后出货 {shipped} 行', "en": '{open} open lines: {on_track} on track, {at_risk} at risk, {overdue} overdue; {shipped} lines shipped since {since}'},
    'notice.open_title': {"zh": '未交订单进度', "en": 'Open lines'},
    'notice.risk_title': {"zh": '交期风险与延误', "en": 'Lines at risk or late'},
    'notice.shipped_title': {"zh": '{since} 之后已出货', "en": 'Shipped since {since}'},
    'notice.none_open': {"zh": '无未交订单', "en": 'No open lines'},
    'notice.none_risk': {"zh": '所有未交订单均按计划进行', "en": 'All open lines are on track'},
    'notice.none_shipped': {"zh": '此期间无出货', "en": 'Nothing shipped in this period'},
    'notice.order_no': {"zh": '订单号', "en": 'Order no'},
    'notice.line_no': {"zh": '行号', "en": 'Line'},
    'notice.part_no': {"zh": '料号', "en": 'Part no'},
    'notice.description': {"zh": '品名', "en": 'Description'},
    'notice.qty': {"zh": '订单数量', "en": 'Qty'},
    'notice.shipped_qty': {"zh": '已出货', "en": 'Shipped'},
    'notice.requested_date': {"zh": '要求交期', "en": 'Requested'},
    'notice.promised_date': {"zh": '承诺交期', "en": 'Promised'},
    'notice.status': {"zh": '状态', "en": 'Status'},
    'notice.progress': {"zh": '生产进度', "en": 'Progress'},
    'notice.risk': {"zh": '交期状态', "en": 'Delivery'},
    'notice.delay': {"zh": '延误天数', "en": 'Days late'},
    'notice.cause': {"zh": '原因', "en": 'Cause'},
    'notice.action': {"zh": '措施', "en": 'Action'},
    'notice.new_date': {"zh": '预计交期', "en": 'Expected'},
    'notice.message': {"zh": '说明', "en": 'Message'},
    'notice.ship_date': {"zh": '出货日期', "en": 'Ship date'},
    'notice.ship_qty': {"zh": '出货数量', "en": 'Qty shipped'},
    'notice.cause_unknown': {"zh": '正在调查', "en": 'being investigated'},
    'notice.action_unknown': {"zh": '正在制定', "en": 'being agreed'},
    'notice.date_unknown': {"zh": '待确认', "en": 'to be confirmed'},
    'notice.may_delay': {"zh": '交期可能延误{n}天：原因{cause}，措施{action}，{expect}', "en": 'Delivery may be {n} days late: cause {cause}; action {action}; {expect}'},
    'notice.may_delay_one': {"zh": '交期可能延误{n}天：原因{cause}，措施{action}，{expect}', "en": 'Delivery may be 1 day late: cause {cause}; action {action}; {expect}'},
    'notice.late': {"zh": '已延误{n}天：原因{cause}，措施{action}，{expect}', "en": 'Already {n} days late: cause {cause}; action {action}; {expect}'},
    'notice.late_one': {"zh": '已延误{n}天：原因{cause}，措施{action}，{expect}', "en": 'Already 1 day late: cause {cause}; action {action}; {expect}'},
    'notice.expect': {"zh": '预计{date}交货', "en": 'expected {date}'},
    'notice.expect_unknown': {"zh": '新交期待确认', "en": 'new date to be confirmed'},
    'notice.at_risk': {"zh": '交期临近，需关注：{why}；措施{action}', "en": 'Close to its date, watched: {why}; action {action}'},
    'notice.progress_text': {"zh": '{done}/{total} 完成', "en": '{done} of {total} done'},
    'notice.progress_next': {"zh": '{done}/{total} 完成；下一步 {m}（计划 {date}）', "en": '{done} of {total} done; next {m} (planned {date})'},
    'notice.progress_none': {"zh": '—', "en": '—'},
    'notice.footer': {"zh": '本通知仅含贵司订单。如有疑问请联系您的跟单员。', "en": 'This notice covers your orders only. Please contact your account manager with any question.'},
    'notice.subject': {"zh": '订单进度周报 {customer} {as_of}', "en": 'Weekly order progress, {customer}, {as_of}'},
    'notice.mail_greeting': {"zh": '{customer} 您好：', "en": 'Dear {customer},'},
    'notice.mail_intro': {"zh": '以下是截至 {as_of} 贵司订单的进度：', "en": 'Here is the progress of your orders as of {as_of}:'},
    'notice.mail_attached': {"zh": '详细进度见附件。', "en": 'The attached workbook has the details.'},
    'notice.mail_close': {"zh": '此致\n敬礼', "en": 'Kind regards'},
    'notice.written': {"zh": '已写入 {out}：{customer} 未交 {open} 行，风险/逾期 {risk} 行，出货 {shipped} 行', "en": 'wrote {out}: {customer}, {open} open lines, {risk} at risk or late, {shipped} shipped'},
    'notice.no_customer': {"zh": '{file} 中没有客户“{customer}”的订单行', "en": '{file} has no lines of customer \'{customer}\''},
    # --- PMC plan (orderdesk plan, addin.writers.planbook): sheets, columns, blockers ------------
    'planbook.sheet_shortages': {"zh": '缺料清单', "en": 'Shortages'},
    'planbook.sheet_capacity': {"zh": '产能负荷', "en": 'Capacity load'},
    'planbook.sheet_blocked': {"zh": '受阻订单', "en": 'Blocked orders'},
    'planbook.sheet_late': {"zh": '延期采购', "en": 'Late purchases'},
    'planbook.title_shortages': {"zh": '缺料与采购建议', "en": 'Shortages and what to buy'},
    'planbook.title_capacity': {"zh": '产能负荷（按产线、ISO 周）', "en": 'Capacity load by line and ISO week'},
    'planbook.title_blocked': {"zh": '无法按期出货的订单及原因', "en": 'Orders that cannot ship on time, and why'},
    'planbook.title_late': {"zh": '延期及有风险的采购单', "en": 'Late and at-risk purchase lines'},
    'planbook.subtitle': {"zh": '计划日期 {as_of} · 未结订单行 {lines} · 来源：{sources}', "en": 'As of {as_of} · {lines} open order lines · sources: {sources}'},
    'planbook.none_shortages': {"zh": '无缺料：库存与在途采购满足所有未结订单', "en": 'Nothing short: stock and open purchases cover every open line'},
    'planbook.none_capacity': {"zh": '无负荷：未提供产能表和工艺路线，或订单无交期', "en": 'No load: no capacity and routing given, or no line has a due date'},
    'planbook.none_blocked': {"zh": '所有未结订单均可按期出货', "en": 'Every open line can ship on its due date'},
    'planbook.none_late': {"zh": '无延期或有风险的采购单', "en": 'No late or at-risk purchase lines'},
    'planbook.no_stock': {"zh": '未提供库存（--stock）：未做物料计划', "en": 'No stock given (--stock): material not planned'},
    'planbook.no_capacity': {"zh": '未提供产能表和工艺路线（--capacity、--routing）：未做产能计划', "en": 'No capacity and routing given (--capacity, --routing): load not planned'},
    'planbook.part_no': {"zh": '料号', "en": 'Part No'},
    'planbook.need_date': {"zh": '需求日期', "en": 'Need date'},
    'planbook.short_qty': {"zh": '欠料数量', "en": 'Short qty'},
    'planbook.alternates_used': {"zh": '已用替代料', "en": 'Alternates used'},
    'planbook.buy_qty': {"zh": '建议采购量（含起订量）', "en": 'Buy qty (MOQ)'},
    'planbook.order_by': {"zh": '最迟下单日', "en": 'Order by'},
    'planbook.lead_time_days': {"zh": '采购+检验（工作日）', "en": 'Lead + inspection (working days)'},
    'planbook.free_qty': {"zh": '可用库存', "en": 'Free stock'},
    'planbook.expedite': {"zh": '需催交采购单', "en": 'Purchase lines to expedite'},
    'planbook.lines': {"zh": '欠料订单行数', "en": 'Lines short'},
    'planbook.line': {"zh": '产线', "en": 'Line'},
    'planbook.week': {"zh": 'ISO 周', "en": 'ISO week'},
    'planbook.week_start': {"zh": '周一', "en": 'Week starts'},
    'planbook.required_h': {"zh": '需求工时', "en": 'Hours required'},
    'planbook.available_h': {"zh": '可用工时', "en": 'Hours available'},
    'planbook.load': {"zh": '负荷率', "en": 'Load'},
    'planbook.cum_required_h': {"zh": '累计需求工时', "en": 'Cumulative required'},
    'planbook.cum_available_h': {"zh": '累计可用工时', "en": 'Cumulative available'},
    'planbook.status': {"zh": '状态', "en": 'Status'},
    'planbook.overloaded': {"zh": '超负荷', "en": 'overloaded'},
    'planbook.cum_overloaded': {"zh": '累计超负荷', "en": 'behind (cumulative)'},
    'planbook.ok': {"zh": '正常', "en": 'OK'},
    'planbook.not_in_capacity': {"zh": '产能表无此产线', "en": 'not in the capacity sheet'},
    'planbook.order_no': {"zh": '订单号', "en": 'Order'},
    'planbook.line_no': {"zh": '行号', "en": 'Line'},
    'planbook.customer': {"zh": '客户', "en": 'Customer'},
    'planbook.priority': {"zh": '客户等级', "en": 'Priority'},
    'planbook.qty': {"zh": '未交数量', "en": 'Open qty'},
    'planbook.due_date': {"zh": '交期', "en": 'Due date'},
    'planbook.material_ready': {"zh": '物料齐套', "en": 'Material ready'},
    'planbook.capacity_finish': {"zh": '产能完工', "en": 'Capacity finish'},
    'planbook.promise_date': {"zh": '可承诺交期', "en": 'Can ship'},
    'planbook.days_late': {"zh": '延误天数', "en": 'Days late'},
    'planbook.blocked_by': {"zh": '受阻原因', "en": 'Blocked by'},
    'planbook.actions': {"zh": '措施', "en": 'Action'},
    'planbook.suppliers': {"zh": '供应商', "en": 'Supplier'},
    'planbook.po_no': {"zh": '采购单号', "en": 'PO'},
    'planbook.supplier': {"zh": '供应商', "en": 'Supplier'},
    'planbook.po_qty': {"zh": '采购数量', "en": 'Qty'},
    'planbook.po_due': {"zh": '采购交期', "en": 'Due date'},
    'planbook.first_need': {"zh": '最早需求日', "en": 'First need'},
    'planbook.blocks': {"zh": '受阻订单行', "en": 'Customer lines blocked'},
    'planbook.waiting': {"zh": '待料订单行', "en": 'Customer lines waiting'},
    'planbook.late': {"zh": '已逾期', "en": 'late'},
    'planbook.at_risk': {"zh": '有风险', "en": 'at risk'},
    'planbook.act_expedite': {"zh": '催交', "en": 'expedite'},
    'planbook.act_buy': {"zh": '采购', "en": 'buy'},
    'planbook.act_capacity': {"zh": '产能', "en": 'capacity'},
    'planbook.why_expedite': {"zh": '{part}：等采购单 {po}（{supplier}）{date} 到货 {qty}', "en": '{part}: waits for {po} ({supplier}) due {date}, {qty}'},
    'planbook.why_buy': {"zh": '{part}：需采购 {qty}，{date} 到料', "en": '{part}: {qty} to buy, there {date}'},
    'planbook.why_buy_unknown': {"zh": '{part}：需采购 {qty}，无采购周期', "en": '{part}: {qty} to buy, no lead time known'},
    'planbook.why_capacity': {"zh": '产线 {line} {date} 才完工', "en": 'line {line} finishes only {date}'},
    'planbook.no_supplier': {"zh": '供应商未知', "en": 'supplier unknown'},
    'planbook.no_po': {"zh": '无单号', "en": 'no PO number'},
    'planbook.summary': {"zh": '未结订单行 {lines}：缺料 {parts} 项（今天须下单 {late} 项），受阻订单行 {blocked}，延期或有风险的采购单 {purchases}，超负荷的产线周 {weeks}', "en": '{lines} open line(s): {parts} part(s) short ({late} to order today), {blocked} line(s) blocked, {purchases} purchase line(s) late or at risk, {weeks} overloaded line-week(s)'},
    'planbook.excel_done': {"zh": 'PMC 计划：{summary}。见工作表 {sheets}。', "en": 'PMC plan: {summary}. See the sheets {sheets}.'},
    'planbook.undated': {"zh": '{n} 个未结订单行没有交期：最后分配物料，不列为受阻', "en": '{n} open line(s) have no due date: served last, never listed as blocked'},
    'planbook.note_bom_child': {"zh": '{file}：按文件名视为“{part}”的 BOM（如不对，用 --bom-parent {file}=料号 指定）', "en": "{file}: read as the BOM of '{part}' (its file name names it; --bom-parent {file}=PART to say otherwise)"},
}


def t(key: str, lang: str = "en", **fields: object) -> str:
    """The text for ``key`` in ``lang`` (zh or en), with ``{fields}`` filled in."""
    entry = STRINGS[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**fields) if fields else text


def table(prefix: str) -> dict[str, dict[str, str]]:
    """The entries under ``prefix.`` as ``{lang: {key: template}}``, unformatted: for the modules
    that format one template for many rows at once (review reasons, risk reasons, promise notes)."""
    head = prefix + "."
    out: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
    for key, entry in STRINGS.items():
        if key.startswith(head):
            for lang in LANGS:
                out[lang][key[len(head):]] = entry.get(lang) or entry["en"]
    return out


# Names a system gives Chinese: POSIX/macOS zh_CN.UTF-8, zh_TW, zh-Hans-CN; Windows
# "Chinese (Simplified)_China.936", "Chinese_Taiwan.950", and the C runtime's chs / cht.
_ZH_LOCALE_PREFIXES = ("zh", "chinese", "chs", "cht")
_NO_LOCALE = ("", "c", "posix")
LANG_CHINESE = 0x04   # the primary language of a Windows LANGID (0x0804 zh-CN, 0x0404 zh-TW, 0x0C04 zh-HK)


def locale_lang(name: str | None) -> str | None:
    """zh or en for one locale name as a system reports it; None for a name that says nothing
    (empty, ``C``, ``POSIX``, ``C.UTF-8``). The first of a GNU ``LANGUAGE`` list (``zh_CN:en``) counts."""
    text = (name or "").split(":")[0].strip().lower()
    base = text.split(".")[0].split("@")[0]
    if base in _NO_LOCALE:
        return None
    if base.startswith(_ZH_LOCALE_PREFIXES[0]) or any(
            base == p or base.startswith((p + "_", p + "-", p + " ", p + "(")) for p in _ZH_LOCALE_PREFIXES[1:]):
        return "zh"
    return "en"


def windows_ui_lang(langid: int | None) -> str | None:
    """zh or en for a Windows LANGID (GetUserDefaultUILanguage); None when there is none."""
    if not langid:
        return None
    return "zh" if langid & 0x3FF == LANG_CHINESE else "en"


def _windows_ui_langid() -> int | None:
    import sys
    if not sys.platform.startswith("win"):
        return None
    try:
        import ctypes
        return int(ctypes.windll.kernel32.GetUserDefaultUILanguage())  # type: ignore[attr-defined]
    except (ImportError, AttributeError, OSError):
        return None


def locale_names() -> list[str]:
    """The locale names this process sees, most telling first: the environment (LANGUAGE, LC_ALL,
    LC_MESSAGES, LANG, as gettext reads them), then ``locale.getlocale()`` (on Windows e.g.
    ``Chinese (Simplified)_China``)."""
    import locale
    import os
    names = [os.environ.get(key, "") for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")]
    try:
        names.append(locale.getlocale()[0] or "")
    except (ValueError, AttributeError):
        pass
    import sys
    if sys.platform == "darwin":   # Excel starts Python without LANG: the user's macOS language
        names += macos_languages()
    return [n for n in names if n]


def macos_languages(plist: object = None) -> list[str]:
    """The user's macOS languages, preferred first (``AppleLanguages``: ``zh-Hans-CN``, then
    ``AppleLocale``: ``zh_CN``) from ~/Library/Preferences/.GlobalPreferences.plist."""
    import plistlib
    from pathlib import Path
    path = Path(plist) if plist else Path.home() / "Library" / "Preferences" / ".GlobalPreferences.plist"
    try:
        with open(path, "rb") as fh:
            prefs = plistlib.load(fh)
    except (OSError, ValueError, plistlib.InvalidFileException):
        return []
    languages = prefs.get("AppleLanguages")
    names = [str(n) for n in languages] if isinstance(languages, list) else []
    return names[:1] + ([str(prefs["AppleLocale"])] if prefs.get("AppleLocale") else [])


def system_lang() -> str:
    """The language of the user's system: zh for a Chinese locale, else en (the front ends'
    choice when nothing else says; SPEC section 1). On Windows the user's display language
    (GetUserDefaultUILanguage) decides first: Excel shows it and the environment rarely names one."""
    found = windows_ui_lang(_windows_ui_langid())
    for name in locale_names():
        if found is not None:
            break
        found = locale_lang(name)
    return found or "en"


def month_label(month: _dt.date, lang: str = "en") -> str:
    """A month as people write it: 2026年3月 / 2026-03."""
    return f"{month.year}年{month.month}月" if lang == "zh" else f"{month.year}-{month.month:02d}"


def _word(prefix: str, value: object, lang: str) -> str:
    if value is None or value != value:  # None or NaN
        return ""
    key = f"{prefix}.{value}"
    return t(key, lang) if key in STRINGS else str(value)


def outcome_label(value: object, lang: str = "en") -> str:
    return _word("outcome", value, lang)


def risk_label(value: object, lang: str = "en") -> str:
    return _word("risk", value, lang)


# messages that carry details after a fixed start: translated by that start, the details dropped
_ISSUE_PREFIXES = (("not a known status", "issue.not a known status"),
                   ("text of ", "issue.too long"))


def issue_message(message: object, lang: str = "en") -> str:
    """A reader's issue message or an engine flag (``no_ship_date``) in ``lang``; a message this
    table does not know is shown as it is (never hidden)."""
    text = "" if message is None else str(message)
    key = f"issue.{text}"
    if key in STRINGS:
        return t(key, lang)
    if lang != "en":
        for start, prefix_key in _ISSUE_PREFIXES:
            if text.startswith(start):
                return t(prefix_key, lang)
    return text


def field_label(field: object, lang: str = "en") -> str:
    """A canonical field (``requested_date``) as the sheets name it; unknown fields as they are."""
    name = "" if field is None else str(field)
    for key in (f"col.{name}", f"field.{name}"):
        if key in STRINGS:
            return t(key, lang)
    return name


def measured_headline(measured: int, pending: int, unmeasurable: dict, otd_unknown: str | None,
                      lang: str = "en") -> str:
    """One sentence: how many lines were measured, how many wait, what could not be measured and,
    when the rate is unknown, why (SPEC section 9: never a silent 0 %)."""
    parts = [t("headline.measured", lang, measured=f"{measured:,}")]
    if pending:
        parts.append(t("headline.pending", lang, n=f"{pending:,}"))
    what = [t(f"excluded.{reason}", lang, n=f"{n:,}") for reason, n in unmeasurable.items() if n]
    if what:
        parts.append(t("headline.not_measured", lang, what=t("headline.list_sep", lang).join(what)))
    text = t("headline.sep", lang).join(parts) + t("headline.end", lang)
    if otd_unknown:
        text += (" " if lang == "en" else "") + t("unknown.otd", lang, reason=t(f"unknown.{otd_unknown}", lang)) + \
            t("headline.end", lang)
    return text
