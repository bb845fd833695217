"""What findings say, in uk or en (like services/alerts/texts.py: the words leave the app in
reports and digests, where the page's catalogs do not reach), and numbers written for people."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, get_currency_symbol

from salesmetrics.domain.money import exponent
from salesmetrics.services.alerts.texts import plural_uk

_BABEL = {"uk": "uk_UA", "en": "en_US"}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "fell": "fell", "rose": "rose",
        "kpi_title": "{metric} {way} to {value} in {month}",
        "kpi_text": "{metric} {way} from a usual {expected} to {value} in {month}, outside its "
        "usual range ({low} to {high}; robust z = {z}, {how}).",
        "kpi_how_seasonal": "against the change from a year before",
        "kpi_how_level": "against the {n} months before",
        "kpi_most": " Largest {move}: {who} ({before} → {after}).",
        "move_drop": "drop", "move_rise": "rise",
        "act_good": "Find out what worked in {month} and keep it up.",
        "act_revenue": "Look at {month}'s revenue by channel and product to see where it fell "
        "short, and check the pipeline due this month.",
        "act_orders": "Check traffic, stock and prices of the best sellers in {month}.",
        "act_new_customers": "Check each channel's new customers and spend for {month}.",
        "act_aov": "Check discounts and the product mix of {month}'s orders.",
        "act_win_rate": "Review the deals lost in {month} and their reasons with the team.",
        "act_lead_conversion_rate": "Check how fast new leads get a first answer and which "
        "channels send leads that do not convert.",
        "act_avg_deal_size": "Check discounts and the mix of deals won in {month}.",
        "act_sales_cycle_days": "See where deals waited longer on the Pipeline page and agree a "
        "next step for each open deal.",
        "act_nps": "Read {month}'s detractor comments and call those customers back.",
        "act_csat": "Read {month}'s unhappy responses and call those customers back.",
        "bn_time_title": "Deals wait longest at {stage}",
        "bn_time_text": "{who}Deals wait {value} days at {stage}{when} against {reference} "
        "{against}: {effect}× as long (at least {low}×), over {deals} {deal_word}.",
        "bn_conv_title": "Few deals move on from {stage}",
        "bn_conv_text": "{who}{value} of deals move on from {stage}{when} against {reference} "
        "{against} ({points} points), over {deals} {deal_word}.",
        "bn_stages": "at the other stages", "bn_history": "in the {base} days before",
        "bn_rep": "for the other reps", "bn_team": "for the other teams",
        "bn_when": " in the last {days} days",
        "bn_act": "Review the deals now at {stage} and agree a dated next step for each; "
        "shorten what holds them there (approvals, quotes).",
        "stale_title": "{n} open {deal_word} gone quiet ({amount})",
        "stale_text": "{n} open {deal_word} worth {amount}, {share} of the open pipeline, "
        "past their stage's rotting days or without activity for {days} days. By owner, the "
        "largest first: {top}.",
        "stale_act": "Go through the stale deals with their owners this week: move each on, "
        "give it a date, or close it as lost.",
        "cac_title": "{channel} brings customers at the lowest cost",
        "cac_text": "{channel} cost {cac} per new customer over {months} months (95 %: {low} to "
        "{high}; {customers} customers) against a median of {median} for the other channels"
        "{ltv}.",
        "cac_ltv": "; lifetime value is {ratio}× the cost",
        "cac_act": "Move budget step by step from {worst} ({worst_cac} per customer) to "
        "{channel}, and watch that its cost per customer holds.",
        "fb_title": "Customers are unhappy with {product}",
        "fb_text": "{product} has an NPS of {nps} over the last {days} days (95 %: {low} to "
        "{high}; {n} answers) against {company} for the business.",
        "fb_theme": " Its detractors mostly raise {theme} ({k} of {m}), e.g. “{example}”.",
        "fb_act": "Check {product} with the supplier, stop promoting it until it is fixed, "
        "and call back its unhappy buyers.",
        "pace_title_reps": "{n} {reps} are far behind their {metric} target",
        "pace_title_one": "{who} is far behind the {metric} target",
        "pace_text": "Projected at {period}'s end: {list}; each at least {gap} short even at "
        "the top of its 80 % range.",
        "pace_item": "{who} {projected} of target",
        "pace_act": "Agree with {who} which open deals can close by {end} and what help "
        "they need; the Targets page shows what it takes.",
        "company": "the company",
        "trend_title_rising": "{name} is growing its share of revenue",
        "trend_title_falling": "{name} is losing its share of revenue",
        "trend_text": "{kind} {name}: {first} of revenue in {start}, {last} in {end}; a trend "
        "of {slope} points a month (90 %: {low} to {high}){season}.",
        "trend_season": ", net of the same months a year before",
        "trend_product": "Product", "trend_category": "Category",
        "trend_act_rising": "Keep {name} in stock and consider promoting it further.",
        "trend_act_falling": "Check {name}'s price, stock and reviews against competitors.",
    },
    "uk": {
        "fell": "нижче звичного", "rose": "вище звичного",
        "kpi_title": "{metric} за {month}: {value}, {way}",
        "kpi_text": "{metric} за {month}: {value} при звичних {expected}, поза звичним "
        "діапазоном ({low} – {high}; робастний z = {z}, {how}).",
        "kpi_how_seasonal": "порівняно зі зміною за рік",
        "kpi_how_level": "порівняно з {n} попередніми місяцями",
        "kpi_most": " Найбільше {move}: {who} ({before} → {after}).",
        "move_drop": "падіння", "move_rise": "зростання",
        "act_good": "З'ясуйте, що спрацювало за {month}, і продовжуйте.",
        "act_revenue": "Подивіться виручку за {month} за каналами й товарами, де недобір, і "
        "перевірте воронку з закриттям цього місяця.",
        "act_orders": "Перевірте трафік, залишки й ціни найпопулярніших товарів за {month}.",
        "act_new_customers": "Перевірте нових клієнтів і витрати кожного каналу за {month}.",
        "act_aov": "Перевірте знижки й склад замовлень за {month}.",
        "act_win_rate": "Розберіть з командою програні за {month} угоди та їхні причини.",
        "act_lead_conversion_rate": "Перевірте, як швидко нові ліди отримують першу відповідь "
        "і які канали дають ліди, що не конвертуються.",
        "act_avg_deal_size": "Перевірте знижки й склад угод, виграних за {month}.",
        "act_sales_cycle_days": "Подивіться на сторінці «Воронка», де угоди чекали довше, і "
        "домовтеся про наступний крок для кожної відкритої угоди.",
        "act_nps": "Прочитайте коментарі критиків за {month} і зателефонуйте цим клієнтам.",
        "act_csat": "Прочитайте незадоволені відгуки за {month} і зателефонуйте цим клієнтам.",
        "bn_time_title": "Найдовше угоди чекають на етапі «{stage}»",
        "bn_time_text": "{who}Угоди чекають {value} дн. на етапі «{stage}»{when} проти "
        "{reference} {against}: у {effect} раза довше (щонайменше у {low}), {deals} {deal_word}.",
        "bn_conv_title": "Мало угод проходять етап «{stage}»",
        "bn_conv_text": "{who}Далі етапу «{stage}» проходять {value} угод{when} проти "
        "{reference} {against} ({points} п.), {deals} {deal_word}.",
        "bn_stages": "на інших етапах", "bn_history": "за {base} днів перед тим",
        "bn_rep": "в інших менеджерів", "bn_team": "в інших команд",
        "bn_when": " за останні {days} днів",
        "bn_act": "Перегляньте угоди на етапі «{stage}» і домовтеся про наступний крок з датою "
        "для кожної; скоротіть те, що їх там тримає (погодження, кошториси).",
        "stale_title": "Без руху: {n} {deal_word} ({amount})",
        "stale_text": "Без руху {n} {deal_word} на {amount}, {share} відкритої воронки: "
        "довше за норму етапу або без активності {days} дн. За менеджерами, від найбільшої "
        "суми: {top}.",
        "stale_act": "Цього тижня пройдіться з менеджерами по угодах без руху: просуньте, "
        "призначте дату або закрийте як програні.",
        "cac_title": "{channel} приводить клієнтів найдешевше",
        "cac_text": "{channel}: {cac} за нового клієнта за {months} міс. (95 %: {low} – "
        "{high}; клієнтів: {customers}) проти медіани {median} в інших каналів{ltv}.",
        "cac_ltv": "; цінність клієнта у {ratio} раза більша за вартість залучення",
        "cac_act": "Поступово переносьте бюджет з {worst} ({worst_cac} за клієнта) на "
        "{channel} і стежте, щоб вартість клієнта трималася.",
        "fb_title": "Клієнти незадоволені товаром «{product}»",
        "fb_text": "«{product}»: NPS {nps} за останні {days} днів (95 %: {low} – {high}; "
        "відповідей: {n}) проти {company} у бізнесу загалом.",
        "fb_theme": " Критики найчастіше згадують тему «{theme}» ({k} з {m}), напр. «{example}».",
        "fb_act": "Перевірте «{product}» з постачальником, призупиніть просування до "
        "виправлення й зателефонуйте незадоволеним покупцям.",
        "pace_title_reps": "{n} {reps} суттєво відстають від цілі «{metric}»",
        "pace_title_one": "{who}: суттєве відставання від цілі «{metric}»",
        "pace_text": "Прогноз на кінець періоду {period}: {list}; кожному бракує щонайменше "
        "{gap} навіть за верхньою межею 80 % діапазону.",
        "pace_item": "{who} — {projected} цілі",
        "pace_act": "Обговоріть з кожним ({who}), які відкриті угоди можна закрити до {end} і "
        "якої допомоги треба; сторінка «Цілі» показує, скільки бракує.",
        "company": "компанія",
        "trend_title_rising": "«{name}» збільшує частку у виручці",
        "trend_title_falling": "«{name}» втрачає частку у виручці",
        "trend_text": "{kind} «{name}»: {first} виручки за {start}, {last} за {end}; тренд "
        "{slope} п. на місяць (90 %: {low} – {high}){season}.",
        "trend_season": ", за вирахуванням тих самих місяців рік тому",
        "trend_product": "Товар", "trend_category": "Категорія",
        "trend_act_rising": "Тримайте «{name}» у наявності й подумайте про додаткове "
        "просування.",
        "trend_act_falling": "Порівняйте ціну, наявність і відгуки «{name}» з конкурентами.",
    },
}  # fmt: skip


def lang_of(lang: str) -> str:
    return lang if lang in TEXTS else "en"


def say(lang: str, key: str, **values: Any) -> str:
    return TEXTS[lang_of(lang)][key].format(**values)


def counted(n: int, lang: str, en: tuple[str, str], uk: tuple[str, str, str]) -> str:
    """The word for n things: deal/deals, угода/угоди/угод."""
    if lang_of(lang) == "uk":
        return plural_uk(n, *uk)
    return en[0] if n == 1 else en[1]


def deal_word(n: int, lang: str) -> str:
    return counted(n, lang, ("deal", "deals"), ("угода", "угоди", "угод"))


def rep_word(n: int, lang: str) -> str:
    return counted(n, lang, ("rep", "reps"), ("менеджер", "менеджери", "менеджерів"))


def _where(lang: str) -> str:
    return _BABEL.get(lang, "en_US")


def money(minor: float | None, currency: str, lang: str) -> str:
    """Minor units as whole major ones with the currency: '1 234 ₴' / '1,234 UAH'."""
    if minor is None:
        return "—"
    amount = format_decimal(round(float(minor) / 10 ** exponent(currency)), locale=_where(lang))
    sign = get_currency_symbol(currency, locale=_where(lang)) if lang == "uk" else currency
    return f"{amount}\u00a0{sign}"


def pct(value: float | None, lang: str, digits: int = 0) -> str:
    """A fraction as a percentage: 0.42 -> '42 %' / '42%'."""
    if value is None:
        return "—"
    text = format_decimal(round(value * 100, digits), format="#,##0." + "0" * digits
                          if digits else "#,##0", locale=_where(lang))  # fmt: skip
    return f"{text}\u00a0%" if lang == "uk" else f"{text}%"


def num(value: float | None, lang: str, digits: int = 1) -> str:
    if value is None:
        return "—"
    pattern = "#,##0." + "#" * digits if digits else "#,##0"
    return str(format_decimal(round(value, digits), format=pattern, locale=_where(lang)))


def month(d: date, lang: str) -> str:
    """'October 2026' / 'жовтень 2026' (uk sentences say 'за жовтень 2026')."""
    return str(format_date(d, format="LLLL yyyy", locale=_where(lang_of(lang))))


def value(v: float | None, unit: str, currency: str, lang: str) -> str:
    """A metric's value in its unit (web/i18n.metric_value's rules, without the catalogs)."""
    if v is None:
        return "—"
    if unit in ("money", "money_per_day"):
        return money(v, currency, lang)
    if unit == "percent":
        return pct(v, lang)
    if unit == "days":
        return f"{num(v, lang)} {'дн.' if lang_of(lang) == 'uk' else 'days'}"
    if unit == "count":
        return num(v, lang, 0)
    return num(v, lang)
