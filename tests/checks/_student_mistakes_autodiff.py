"""Wrong answers to notebook 06's autodiff exercise, ``exp_backward``, written as students write them,
and correct answers written differently (see tests/checks/_student_mistakes.py, whose lists ``M`` and
``RIGHT`` these join when this module is imported).

The statement: return ``x_grad + exp(x) * out_grad`` (local derivative, times the upstream gradient,
added to what ``x`` already holds), without changing ``x_grad`` in place.
"""

from __future__ import annotations

from _student_mistakes import m, r

m("exp_backward", "missing_upstream_gradient", "forgot the upstream gradient", """
    def exp_backward(x, x_grad, out_grad):
        return x_grad + np.exp(x)
""")
m("exp_backward", "values", "overwrote the gradient instead of adding to it", """
    def exp_backward(x, x_grad, out_grad):
        x_grad = np.exp(x) * out_grad
        return x_grad
""")
m("exp_backward", "mutates_input", "micrograd's += on the caller's array", """
    def exp_backward(x, x_grad, out_grad):
        x_grad += np.exp(x) * out_grad
        return x_grad
""")
m("exp_backward", "derivative_of_wrong_quantity", "local derivative taken at the output", """
    def exp_backward(x, x_grad, out_grad):
        out = np.exp(x)
        local = np.exp(out)
        return x_grad + local * out_grad
""")
m("exp_backward", "missing_activation_derivative", "passed the gradient through like an add node", """
    def exp_backward(x, x_grad, out_grad):
        return x_grad + 1.0 * out_grad
""")
m("exp_backward", "exception", "math.exp on an array", """
    def exp_backward(x, x_grad, out_grad):
        import math
        return x_grad + math.exp(x) * out_grad
""")
m("exp_backward", "wrong_dtype", "a float64 copy of x_grad", """
    def exp_backward(x, x_grad, out_grad):
        grad = np.array(x_grad, dtype=float)
        return grad + np.exp(x) * out_grad
""")
m("exp_backward", "too_slow", "one entry at a time", """
    def exp_backward(x, x_grad, out_grad):
        import math
        x, x_grad, out_grad = np.asarray(x), np.asarray(x_grad), np.asarray(out_grad)
        new = np.empty_like(x)
        for i in np.ndindex(x.shape):
            new[i] = x_grad[i] + math.exp(x[i]) * out_grad[i]
        return new
""")

r("exp_backward", "the output as the local derivative (right for exp)", """
    def exp_backward(x, x_grad, out_grad):
        out = np.exp(x)
        return np.add(x_grad, out * out_grad)
""")
