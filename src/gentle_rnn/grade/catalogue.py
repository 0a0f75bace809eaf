"""The catalogue of classic mistakes, as data.

Each `Mistake` is a small buggy variant of our own backward pass (the ``bug`` switch of
`gentle_rnn.grade.variants`), a name, an explanation for the learner, and the equation it breaks
(an anchor on the site). Its *signature test* is the same for every entry: the learner's loss and every
gradient equal the variant's (relative error at most `MATCH_TOL`) on every problem the grader poses.
The tests grade every variant and check that it is diagnosed as itself and as nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The site as ``make serve`` serves it (mkdocs.yml ``site_url``; a test checks they agree).
SITE_URL = "http://127.0.0.1:8000/"

#: Relative error below which the learner's numbers count as the variant's.
MATCH_TOL = 1e-8


@dataclass(frozen=True)
class Mistake:
    """One classic mistake: ``bug`` (the switch in `gentle_rnn.grade.variants`), its name for the
    learner, what goes wrong and how to fix it, and the equation (page, anchor id, label) it breaks."""

    bug: str
    name: str
    explanation: str
    page: str  # Markdown source under docs/, e.g. "part-3-bptt.md"
    anchor: str  # e.g. "eq-3-4"
    equation: str  # e.g. "(3.4)"

    @property
    def url(self) -> str:
        """The equation on the site."""
        return f"{SITE_URL}{self.page.removesuffix('.md')}/#{self.anchor}"


P1, P2, P3, P5 = "part-1-why-rnn.md", "part-2-forward-propagation.md", "part-3-bptt.md", "part-5-lstm.md"


def _mean_vs_sum(page, anchor, equation, terms):
    return (
        Mistake("loss-mean-gradients-sum", "the loss is a mean but the gradients are a sum",
                f"Your loss is the sum divided by the number of terms ({terms}), while your gradients are "
                "those of the sum: they are the right gradients of the wrong loss. On this site the loss is a "
                "sum over time and batch; return the sum (or divide the gradients by the same number).",
                page, anchor, equation),
        Mistake("gradients-mean-loss-sum", "the gradients are a mean but the loss is a sum",
                f"Every gradient is divided by the number of terms ({terms}), while the loss is the sum. "
                "Gradients of a sum are sums: drop the division (or divide the loss too).",
                page, anchor, equation),
    )


def _softmax(page, anchor, equation):
    return Mistake(
        "softmax-gradient-without-onehot", "the softmax gradient lacks the minus one-hot",
        "At the logits dL/do = softmax(o) - onehot(y); your gradient behaves as if it were softmax(o) alone. "
        "Subtract 1 at the target class of each row.", page, anchor, equation)


DENSE = (
    Mistake("tanh-prime-missing", "the tanh' factor is missing",
            "delta = dL/da must be (1 - h^2) * dL/dh, elementwise; your dL/dU, dL/db and dL/dx equal what you get "
            "with dL/da = dL/dh, as if h = a.", P1, "eq-1-8", "(1.8)"),
    Mistake("tanh-prime-of-pre-activation", "tanh' written with the pre-activation a instead of h",
            "tanh'(a) = 1 - tanh(a)^2 = 1 - h^2: square the output h, not the pre-activation a. Your gradients "
            "equal what (1 - a^2) * dL/dh gives.", P1, "eq-1-8", "(1.8)"),
    Mistake("sigmoid-prime-for-tanh", "the sigmoid's derivative used for tanh",
            "h = tanh(a) has the derivative 1 - h^2; h (1 - h) is the derivative of the sigmoid. Your gradients "
            "equal what h * (1 - h) * dL/dh gives.", P1, "eq-1-8", "(1.8)"),
    _softmax(P1, "eq-1-5", "(1.5)"),
    *_mean_vs_sum(P1, "eq-1-4", "(1.4)", "the batch size B"),
)

RNN = (
    Mistake("tanh-prime-missing", "the tanh' factor is missing",
            "delta(t) = dL/da(t) = (1 - h(t)^2) * dL/dh(t), elementwise: every step back through the "
            "recurrence passes through tanh'. Your gradients equal what dL/da(t) = dL/dh(t) gives.",
            P3, "eq-3-4", "(3.4)"),
    Mistake("tanh-prime-wrong-step", "tanh' taken at the wrong step",
            "delta(t) uses the output of the same step, 1 - h(t)^2. Your gradients equal what 1 - h(t-1)^2 "
            "gives: check the index (in the code, h[t - 1] is h(t) while hs[t] is h(t)).",
            P3, "eq-3-4", "(3.4)"),
    Mistake("tanh-prime-of-pre-activation", "tanh' written with the pre-activation a(t) instead of h(t)",
            "tanh'(a) = 1 - tanh(a)^2 = 1 - h(t)^2: square the output h(t), not the pre-activation a(t).",
            P3, "eq-3-4", "(3.4)"),
    Mistake("sigmoid-prime-for-tanh", "the sigmoid's derivative used for tanh",
            "h(t) = tanh(a(t)) has the derivative 1 - h(t)^2; h(t) (1 - h(t)) belongs to the sigmoid.",
            P3, "eq-3-4", "(3.4)"),
    Mistake("W-instead-of-W-transpose", "W instead of W^T on the way back",
            "What step t+1 sends back to h(t) is W^T delta(t+1). Your gradients equal what W delta(t+1) gives "
            "(in the row layout of the code: delta @ W is right, delta @ W.T is the mistake). With a square W "
            "the shapes cannot catch it.", P3, "eq-3-3", "(3.3)"),
    Mistake("dh-next-not-accumulated", "dh_next is not accumulated",
            "dL/dh(t) = V^T dL/do(t) + W^T delta(t+1): h(t) collects what comes from its own output *and* what "
            "comes back from step t+1. Your gradients keep only the first part (each loss term stops at its own "
            "step), so they are right at T = 1 and wrong from T = 2 on.", P3, "eq-3-3", "(3.3)"),
    Mistake("off-by-one-in-dW", "off by one in time in dL/dW",
            "dL/dW = sum_t delta(t) h(t-1)^T: W multiplies the *previous* state. Your dL/dW equals what "
            "delta(t) h(t)^T gives.", P3, "eq-3-8", "(3.8)"),
    _softmax(P3, "eq-3-1", "(3.1)"),
    *_mean_vs_sum(P2, "eq-2-4", "(2.4)", "T B"),
)

TRUNCATION = (
    Mistake("truncation-ignored", "the truncation is ignored",
            "With truncate = tau, the gradient of L(t) reaches a(t), ..., a(t - tau + 1) and stops. Your "
            "gradients are those of full BPTT.", P3, "eq-3-11", "(3.11)"),
    Mistake("truncation-one-step-too-long", "the truncation keeps one step too many",
            "L(t) reaches tau steps of the recurrence, a(t) ... a(t - tau + 1): that is t - u < tau. Your "
            "gradients keep t - u <= tau, one step more.", P3, "eq-3-11", "(3.11)"),
    Mistake("truncation-in-blocks", "the sequence is cut into blocks of tau steps",
            "Truncated BPTT as defined in (3.11)-(3.12) lets *every* loss term reach tau steps back. Your "
            "gradients cut the sequence into blocks of tau steps and backpropagate inside each block, so a loss "
            "term early in a block reaches fewer steps (that is what a training loop over chunks does, but it is "
            "not the quantity asked for here).", P3, "eq-3-12", "(3.12)"),
)

LSTM = (
    Mistake("forget-gate-path-dropped", "the forget-gate path f(t+1) * dL/ds(t+1) is dropped",
            "dL/ds(t) = q(t) (1 - tanh^2 s(t)) dL/dh(t) + f(t+1) dL/ds(t+1): the cell state also receives "
            "what s(t+1) sends back along the cell path (the constant error carousel). Your gradients leave "
            "that term out.", P5, "eq-5-10", "(5.10)"),
    Mistake("cell-path-without-f", "the cell path does not multiply by f",
            "s(t) = f(t) s(t-1) + ...: what s(t) sends back to s(t-1) is f(t) dL/ds(t). Your gradients pass "
            "dL/ds(t) back unchanged.", P5, "eq-5-10", "(5.10)"),
    Mistake("tanh-prime-of-s-missing", "the tanh' factor of tanh(s(t)) is missing",
            "h(t) = q(t) tanh(s(t)), so dh(t)/ds(t) = q(t) (1 - tanh^2 s(t)). Your gradients use q(t) alone.",
            P5, "eq-5-10", "(5.10)"),
    Mistake("sigmoid-prime-and-tanh-prime-swapped", "sigmoid' and tanh' swapped",
            "The block input z(t) is a tanh (derivative 1 - z^2); the gates g, f, q are sigmoids (derivative "
            "v (1 - v)). Your gradients use each derivative where the other belongs.", P5, "eq-5-11", "(5.11)"),
    Mistake("gate-gradients-swapped", "the input-gate and forget-gate gradients are swapped",
            "dL/da_g(t) = dL/ds(t) z(t) g(t)(1 - g(t)) and dL/da_f(t) = dL/ds(t) s(t-1) f(t)(1 - f(t)). Your "
            "gradients put each where the other belongs (check the order in which you stack the gates: ours "
            "is z, g, f, q; PyTorch's is i, f, g, o).", P5, "eq-5-13", "(5.13)"),
    Mistake("W-instead-of-W-transpose", "W_* instead of W_*^T on the way back",
            "What step t+1 sends back to h(t) is sum_* W_*^T dL/da_*(t+1). Your gradients equal what W_* gives "
            "(in the row layout of the code, da @ W_* is right, da @ W_*.T the mistake).", P5, "eq-5-9", "(5.9)"),
    Mistake("dh-next-not-accumulated", "dh_next is not accumulated",
            "dL/dh(t) = V^T dL/do(t) + sum_* W_*^T dL/da_*(t+1): your gradients keep only the first part, so "
            "nothing crosses from one step to the one before through h.", P5, "eq-5-9", "(5.9)"),
    Mistake("forget-gate-with-s-of-t", "off by one in time in the forget gate's delta",
            "f(t) multiplies the *previous* cell state, so dL/da_f(t) = dL/ds(t) s(t-1) f(t)(1 - f(t)). Your "
            "gradients use s(t).", P5, "eq-5-14", "(5.14)"),
    *_mean_vs_sum(P5, "eq-5-7", "(5.7)", "T B"),
)

#: The mistakes the grader looks for, per model (the command's first argument).
CATALOGUE: dict[str, tuple[Mistake, ...]] = {
    "dense": DENSE,
    "rnn": RNN,
    "rnn-truncated": RNN + TRUNCATION,
    "lstm": LSTM,
}
