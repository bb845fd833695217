"""What alerts say, in the workspace's language (uk or en): messages leave the app by e-mail and
Telegram, where the page's language switch does not reach."""

from __future__ import annotations

from typing import Any


def plural_uk(n: int, one: str, few: str, many: str) -> str:
    """Ukrainian plural forms: 1 угода, 2 угоди, 5 угод, 21 угода, 11 угод."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "company": "the company",
        "pace_title": "{who}: {metric} projected at {projected} of target",
        "pace_body": "{who}'s {metric} target for {period} is projected to end at {projected} "
        "(achieved {achieved}, {left} working {days} left).",
        "takes": "{deals} more {deal_word} at the average deal size; at the {rate} win rate that "
        "is about {opps} qualified opportunities.",
        "idle_title": "{name}: no activity for {n} days",
        "idle_body": "{name} has logged no call, e-mail, meeting or task {since}.",
        "since": "since {day}",
        "ever": "ever",
        "kpi_title": "{metric} in the week of {week} is unusually {way}",
        "kpi_body": "{metric} in the week of {week} was {value}, outside its usual range (median "
        "{median} over the {weeks} weeks before; robust z = {z}).",
        "high": "high",
        "low": "low",
        "stale_title": "{name}: {n} stale {deal_word}, {amount} {currency}",
        "stale_body": "{name} has {n} open {deal_word} past the stage's rotting days or without "
        "activity for {days} days, {amount} {currency} in all. The largest: {top} ({stage}).",
        "detractor_title": "Unhappy customer {customer}: {kind} {score}",
        "detractor_body": "{customer} answered {kind} {score}{product}{comment}. {rep} owns the "
        "follow-up, due {due}.",
        "no_rep": "Nobody",
        "digest_title": "{period} digest: {n} alerts",
        "daily": "Daily",
        "weekly": "Weekly",
    },
    "uk": {
        "company": "компанія",
        "pace_title": "{who}: {metric} — прогноз {projected} від цілі",
        "pace_body": "Ціль «{metric}» на {period} для: {who}. Прогноз на кінець періоду — "
        "{projected} (досягнуто {achieved}, лишилось робочих днів: {left}).",
        "takes": "Ще {deals} {deal_word} середнього розміру; за рівня виграшу {rate} це близько "
        "{opps} кваліфікованих можливостей.",
        "idle_title": "{name}: без активності вже {n} дн.",
        "idle_body": "{name} не записав(ла) жодного дзвінка, листа, зустрічі чи завдання {since}.",
        "since": "з {day}",
        "ever": "взагалі",
        "kpi_title": "{metric} за тиждень з {week} незвично {way}",
        "kpi_body": "{metric} за тиждень з {week}: {value}, поза звичним діапазоном (медіана "
        "{median} за {weeks} тижнів перед тим; робастний z = {z}).",
        "high": "високий",
        "low": "низький",
        "stale_title": "{name}: {n} {deal_word} без руху, {amount} {currency}",
        "stale_body": "{name}: без руху {n} {deal_word} (довше за норму етапу або без "
        "активності {days} дн.), разом {amount} {currency}. Найбільша: {top} ({stage}).",
        "detractor_title": "Незадоволений клієнт {customer}: {kind} {score}",
        "detractor_body": "{customer} оцінив(-ла) {kind} на {score}{product}{comment}. "
        "Зв'язатися має {rep}, до {due}.",
        "no_rep": "Ніхто",
        "digest_title": "{period} зведення: сповіщень — {n}",
        "daily": "Щоденне",
        "weekly": "Щотижневе",
    },
}


def say(locale: str, key: str, **values: Any) -> str:
    table = TEXTS.get(locale, TEXTS["en"])
    return table[key].format(**values)


def deal_word(locale: str, n: int) -> str:
    if locale == "uk":
        return plural_uk(n, "угода", "угоди", "угод")
    return "deal" if n == 1 else "deals"
