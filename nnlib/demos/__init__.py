"""Figures, experiments and widgets of the course notebooks: one module per notebook.

``nnlib.demos.perceptron`` serves ``01_perceptron``, ``nnlib.demos.xor`` serves ``04_xor``, and so
on; :mod:`nnlib.demos.plot` holds the plotting helpers they share. These modules use Matplotlib and
ipywidgets and call the reference library; the library (``nnlib`` itself) never imports them, so
the grader's ground truth stays plain NumPy. Plotting functions draw on the ``ax`` they are given
and return it.
"""
