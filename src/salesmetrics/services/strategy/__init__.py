"""Strategy: channel economics, budget allocation, what-if, forecast, insights."""
