"""The payment providers behind one interface (``base.Provider``): WeChat Pay
API v3 (Native) and Alipay 当面付 on their own wire protocols."""
