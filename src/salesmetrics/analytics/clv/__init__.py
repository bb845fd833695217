"""Customer lifetime value for non-contractual businesses, from raw order lines.

- `summary`: per customer, the frequency / recency / T / mean repeat spend the models read,
  with an optional holdout period to judge them;
- `bgnbd`: how many purchases a customer will make and whether they are still a customer
  (BG/NBD, Fader, Hardie & Lee 2005);
- `gamma_gamma`: what a customer will spend per purchase (Gamma-Gamma, Fader & Hardie 2013,
  note 025);
- `value`: the two together, times margin, discounted month by month.

Arrays in, frozen results out; parameters are plain JSON. No SQL, no HTTP, no files.
"""
