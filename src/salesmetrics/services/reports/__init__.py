"""Reports: XLSX and PDF for a period and scope, and the weekly e-mail digest."""
