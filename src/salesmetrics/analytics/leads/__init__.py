"""Lead scoring: encodings learnt from the data, a regularised logistic regression with Platt
calibration, naive Bayes over won/lost frequencies (the baseline Odoo ships), an editable
points table for cold starts, the leakage screen and the evaluation. Arrays in, typed results
out; no SQL, no HTTP."""
