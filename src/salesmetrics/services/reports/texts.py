"""What reports and the digest say, in uk or en. Reports leave the app as files and e-mails,
where the page catalogs do not reach (as alerts/texts.py does for alerts)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Sales report", "cover": "Cover", "period": "Period",
        "compared": "Compared with", "scope": "Scope", "viewer": "Whose view",
        "generated": "Generated at", "language": "Language", "currency": "Currency",
        "workspace": "Workspace", "company": "the whole company",
        "visible": "the records you see", "team": "team {name}",
        "rep": "rep {name}", "owner_view": "everything (the workspace's owner)",
        "page": "Page", "of": "of", "contents": "Contents", "skipped": "Not included",
        "yes": "yes", "no": "no", "lang_name": "English",
        # headline
        "headline": "Headline KPIs", "headline_text": "{period} against {comparison}.",
        "kpi": "KPI", "value": "This period", "previous": "Previous period",
        "change": "Change", "noise": "Beyond noise",
        # trend
        "trend": "Revenue by month", "trend_text": "The {n} months up to the end of the period; "
        "the total is {total}.", "month": "Month", "revenue": "Revenue", "orders": "Orders",
        # targets
        "targets": "Targets: attainment and pacing",
        "targets_text": "{n} targets overlap the period; {behind} are behind pace.",
        "targets_none": "No target overlaps this period.", "for": "For", "metric": "Metric",
        "target": "Target", "achieved": "Achieved", "attainment": "Attainment",
        "projected": "Projected attainment", "per_day": "Needed per working day",
        "ahead": "On pace", "company_target": "Company",
        # team
        "team_title": "Team leaderboard", "team_text": "{n} reps; the top seller is {top} "
        "with {revenue}.", "team_none": "No rep in view has figures in the period.",
        "rep_col": "Rep", "team_col": "Team", "deals_won": "Deals won", "win_rate": "Win rate",
        "avg_deal": "Average deal", "activities": "Activities", "new_customers": "New customers",
        "no_team": "No team", "revenue_by_rep": "Revenue by rep",
        # pipeline
        "pipeline": "Pipeline health and bottlenecks",
        "pipeline_text": "{deals} deals were created in the period; {won} of them are won "
        "({rate} of all).", "funnel": "Funnel of the deals created in the period",
        "stage": "Stage", "reached": "Deals reached", "step": "Moved on",
        "cumulative": "Of all deals", "dropped": "Lost here", "won": "Won",
        "bottlenecks": "Bottlenecks", "against": "Compared with", "finding": "Finding",
        "bottlenecks_none": "No stage is slower or leaks more than usual beyond noise.",
        "b_time": "{who}deals wait {value} days at {stage} against {reference} at {ref}",
        "b_rate": "{who}{value} of deals move on from {stage} against {reference} at {ref}",
        "ref_stages": "the other stages", "ref_history": "the days before",
        "ref_rep": "the other reps", "ref_team": "the other teams",
        # segments
        "segments": "Customer segments", "segments_text": "{n} customers with paid orders "
        "by the end of the period, in {k} RFM segments.", "segment": "Segment",
        "customers": "Customers", "share": "Share", "recency": "Days since last purchase",
        "purchases": "Purchases", "spend": "Average spend",
        # feedback
        "feedback": "Customer feedback: NPS, CSAT and themes",
        "feedback_text": "{responses} responses, {comments} with a comment; NPS {nps}.",
        "nps": "NPS", "csat": "CSAT", "nps_responses": "NPS responses",
        "themes": "Themes of the comments", "theme": "Theme", "comments": "Comments",
        "detractors": "Detractors", "detractor_share": "Share of detractors",
        # strategy
        "channels": "Channel economics", "channel": "Channel", "mkt_spend": "Spend",
        "leads": "Leads", "cac": "CAC", "lead_conversion": "Lead conversion",
        "ltv_cac": "CLV:CAC", "payback": "Payback at average buyer margin, months",
        "roi": "ROI, all orders (×)",
        "all_channels": "All channels", "no_channel": "No channel",
        "channels_text": "The lowest cost per new customer: {best}, {cac}.",
        "channels_nospend": "Marketing spend is company-wide: this view shows no cost figures.",
        "forecast": "Revenue forecast", "expected": "Expected", "low": "Low (80 %)",
        "high": "High (80 %)", "actual": "Actual",
        "forecast_text": "In the rolling-origin backtest the forecast missed by {model} on "
        "average (MAPE), the seasonal-naive baseline by {naive}.",
        "forecast_nobacktest": "Too little history for a backtest yet.",
        "insights": "Insights", "evidence": "What the data says", "action": "Suggested action",
        "score": "Score", "insights_text": "The {n} strongest findings, ranked by evidence "
        "and impact.", "insights_none": "No finding stands out in this period.",
        # digest
        "digest_subject": "Weekly report: {period}", "digest_hello": "Hello, {name}.",
        "digest_intro": "The week of {period} in figures ({scope}).",
        "digest_targets": "Targets", "digest_insights": "What to look at",
        "digest_link": "Open the dashboard", "digest_foot": "Sent by salesmetrics every week; "
        "the full report is on the Overview page (Download report).",
    },
    "uk": {
        "title": "Звіт з продажів", "cover": "Обкладинка", "period": "Період",
        "compared": "Порівняно з", "scope": "Охоплення", "viewer": "Чий погляд",
        "generated": "Створено", "language": "Мова", "currency": "Валюта",
        "workspace": "Робочий простір", "company": "уся компанія",
        "visible": "записи у вашому полі зору", "team": "команда {name}",
        "rep": "менеджер {name}", "owner_view": "усе (власник робочого простору)",
        "page": "Сторінка", "of": "з", "contents": "Зміст", "skipped": "Не увійшло",
        "yes": "так", "no": "ні", "lang_name": "українська",
        "headline": "Головні показники", "headline_text": "{period} порівняно з {comparison}.",
        "kpi": "Показник", "value": "Цей період", "previous": "Попередній період",
        "change": "Зміна", "noise": "Поза межами шуму",
        "trend": "Виручка за місяцями", "trend_text": "{n} міс. до кінця періоду; разом "
        "{total}.", "month": "Місяць", "revenue": "Виручка", "orders": "Замовлення",
        "targets": "Цілі: виконання і темп",
        "targets_text": "Цілей у періоді: {n}; відстають від темпу: {behind}.",
        "targets_none": "На цей період цілей немає.", "for": "Для", "metric": "Показник",
        "target": "Ціль", "achieved": "Досягнуто", "attainment": "Виконання",
        "projected": "Прогноз виконання", "per_day": "Потрібно за робочий день",
        "ahead": "У темпі", "company_target": "Компанія",
        "team_title": "Рейтинг команди", "team_text": "Менеджерів: {n}; найбільше продав(ла) "
        "{top}: {revenue}.", "team_none": "У менеджерів у полі зору немає даних за період.",
        "rep_col": "Менеджер", "team_col": "Команда", "deals_won": "Виграні угоди",
        "win_rate": "Рівень виграшу", "avg_deal": "Середня угода", "activities": "Активності",
        "new_customers": "Нові клієнти", "no_team": "Без команди",
        "revenue_by_rep": "Виручка за менеджерами",
        "pipeline": "Стан воронки і вузькі місця",
        "pipeline_text": "Угод створено в періоді: {deals}; з них виграно {won} ({rate}).",
        "funnel": "Воронка угод, створених у періоді", "stage": "Етап",
        "reached": "Угод дійшло", "step": "Перейшли далі", "cumulative": "Від усіх угод",
        "dropped": "Втрачено тут", "won": "Виграно", "bottlenecks": "Вузькі місця",
        "against": "Порівняно з", "finding": "Висновок",
        "bottlenecks_none": "Жоден етап не повільніший і не втрачає більше, ніж зазвичай, "
        "поза межами шуму.",
        "b_time": "{who}угоди чекають {value} дн. на етапі «{stage}» проти {reference} "
        "({ref})", "b_rate": "{who}{value} угод переходять далі з етапу «{stage}» проти "
        "{reference} ({ref})", "ref_stages": "інші етапи", "ref_history": "дні перед тим",
        "ref_rep": "інші менеджери", "ref_team": "інші команди",
        "segments": "Сегменти клієнтів", "segments_text": "Клієнтів з оплаченими "
        "замовленнями на кінець періоду: {n}; RFM-сегментів: {k}.", "segment": "Сегмент",
        "customers": "Клієнти", "share": "Частка", "recency": "Днів від останньої покупки",
        "purchases": "Покупок", "spend": "Середні витрати",
        "feedback": "Відгуки клієнтів: NPS, CSAT і теми",
        "feedback_text": "Відповідей: {responses}, з коментарем: {comments}; NPS {nps}.",
        "nps": "NPS", "csat": "CSAT", "nps_responses": "Відповіді NPS",
        "themes": "Теми коментарів", "theme": "Тема", "comments": "Коментарі",
        "detractors": "Критики", "detractor_share": "Частка критиків",
        "channels": "Економіка каналів", "channel": "Канал", "mkt_spend": "Витрати",
        "leads": "Ліди", "cac": "CAC", "lead_conversion": "Конверсія лідів",
        "ltv_cac": "CLV:CAC", "payback": "Окупність за середньою маржею покупця, міс.",
        "roi": "ROI, усі замовлення (×)",
        "all_channels": "Усі канали", "no_channel": "Без каналу",
        "channels_text": "Найнижча вартість нового клієнта: {best}, {cac}.",
        "channels_nospend": "Маркетингові витрати — спільні для компанії: у цьому погляді "
        "витрат не показано.",
        "forecast": "Прогноз виручки", "expected": "Очікувано", "low": "Нижня межа (80 %)",
        "high": "Верхня межа (80 %)", "actual": "Факт",
        "forecast_text": "У ретроспективній перевірці прогноз помилявся в середньому на "
        "{model} (MAPE), сезонний наївний прогноз — на {naive}.",
        "forecast_nobacktest": "Історії поки замало для перевірки.",
        "insights": "Висновки", "evidence": "Що кажуть дані",
        "action": "Що зробити", "score": "Бал",
        "insights_text": "{n} найсильніших висновків за силою доказів і впливом.",
        "insights_none": "Нічого особливого за цей період.",
        "digest_subject": "Тижневий звіт: {period}", "digest_hello": "Вітаємо, {name}.",
        "digest_intro": "Тиждень {period} у цифрах ({scope}).", "digest_targets": "Цілі",
        "digest_insights": "На що звернути увагу", "digest_link": "Відкрити панель",
        "digest_foot": "Надсилає salesmetrics щотижня; повний звіт — на сторінці Огляд "
        "(Завантажити звіт).",
    },
}  # fmt: skip


def say(lang: str, key: str, **values: Any) -> str:
    """A report text in `lang` (English for any other), with its fields filled."""
    table = TEXTS.get(lang, TEXTS["en"])
    text = table.get(key) or TEXTS["en"][key]
    return text.format(**values) if values else text
