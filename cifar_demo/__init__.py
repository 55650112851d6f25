"""cifar-demo: learn, teach and demonstrate how a CNN classifies CIFAR-10 images.

The engine (data, models, training, runs, evaluation, inference) lives here and
never imports Streamlit, so it runs from the app, the command line
(``python -m cifar_demo``), a notebook or a test alike.
"""
__version__ = "0.1.0"
