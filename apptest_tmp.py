import traceback
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("/work/main/app.py", default_timeout=120)
at.switch_page("pages/train.py")
at.run()
print("exceptions:", [(e.value, e.stack_trace) for e in at.exception])
print([m.value for m in at.markdown][:5])
