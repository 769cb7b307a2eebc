"""cocotb testbenches and the pytest runners that build and run them."""
