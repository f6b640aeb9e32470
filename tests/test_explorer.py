"""The backprop explorer: the page's content, and the page in a real browser (Debian Chromium)."""
import base64
import json
import re
import tempfile
from collections import Counter

import numpy as np
import pytest
from conftest import available, requires

from tinygrad_cnn import Graph, Tensor
from tinygrad_cnn.models import LeNet5
from tinygrad_cnn.viz import Explorer, GraphvizNotFound

pytestmark = requires("dot")


def lenet_loss(batch=64, seed=0):
    model = LeNet5(seed=seed)
    x = Tensor(np.random.default_rng(seed).standard_normal((batch, 1, 28, 28)).astype(np.float32))
    return model, model.loss(model(x), np.arange(batch) % 10)


def page_data(page):
    """The JSON the page embeds for its script."""
    text = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', page, re.S)
    def strict(name):
        raise ValueError(f"{name} is not JSON: the browser's JSON.parse would fail")

    return json.loads(text.group(1).replace("<\\/", "</"), parse_constant=strict)


def decode(arr):
    return np.frombuffer(base64.b64decode(arr["b64"]), dtype="<f4").reshape(arr["shape"])


@pytest.fixture(scope="module")
def lenet_page(tmp_path_factory):
    """LeNet-5 at batch 64: its loss after backward(retain_graph=True) with conv δ retained,
    and its explorer saved to a file."""
    model, loss = lenet_loss()
    conv1_out = Graph(loss).nodes[0]          # the first op: c1's conv2d
    assert conv1_out.op == "conv2d"
    out_tensor = next(t for t in Graph(loss).tensors if t.grad_fn is conv1_out)
    out_tensor.retain_grad()
    loss.backward(retain_graph=True)
    explorer = Explorer(loss)
    path = explorer.save(tmp_path_factory.mktemp("explorer") / "explorer.html")
    return model, loss, out_tensor, explorer, path


def test_every_op_and_leaf_is_tagged_in_the_svg(lenet_page):
    _, loss, _, explorer, _ = lenet_page
    page = explorer.html
    graph = Graph(loss)
    tagged = re.findall(r'<g id="n_t\d+" class="node op" data-node="t\d+" data-op="([^"]+)"', page)
    assert Counter(tagged) == Counter(n.op for n in graph.nodes)
    assert sorted(tagged) == sorted(["conv2d", "conv2d", "relu", "relu", "relu", "relu", "max_pool2d",
                                     "max_pool2d", "reshape", "linear", "linear", "linear", "cross_entropy"])
    leaves = re.findall(r'data-leaf="([^"]+)"', page)
    names = [name for name, _ in LeNet5(seed=0).named_parameters()]
    assert sorted(leaves) == sorted(names + ["input", "labels"])


def test_page_is_self_contained_and_small(lenet_page):
    page = lenet_page[3].html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)   # nothing fetched
    assert "<link rel=\"stylesheet\"" not in page and "@import" not in page
    assert page.count("<script") == 2                                       # the data and the code
    size = len(page.encode("utf-8"))
    assert 200_000 < size < 5_000_000, size                                  # LeNet-5 at batch 64
    assert "first 8 of the batch's 64 samples" in page
    assert lenet_page[4].read_text(encoding="utf-8") == page


def test_embedded_maps_are_the_real_outputs_and_deltas(lenet_page):
    _, loss, conv_out, explorer, _ = lenet_page
    data = page_data(explorer.html)
    key = next(k for k, n in data["nodes"].items() if n["kind"] == "op" and n["op"] == "conv2d"
               and n["module"] == "c1")
    node = data["nodes"][key]
    np.testing.assert_array_equal(decode(node["out"]), conv_out.data[:8])
    np.testing.assert_array_equal(decode(node["delta"]), conv_out.grad[:8])  # replayed δ = retained δ
    weight = data["nodes"][next(k for k, n in data["nodes"].items() if n.get("name") == "c1.weight")]
    c1 = dict(lenet_page[0].named_parameters())
    assert weight["kind"] == "param"
    # the page's model is a fresh LeNet5(seed=0): same weights; gradient of the loss we built
    np.testing.assert_array_equal(decode(weight["weight"]), c1["c1.weight"].data)
    assert node["formula"] == Graph(loss).nodes[0].formula and "rot180" in node["formula"]
    assert data["order"][0] == f"t{len(Graph(loss).tensors) - 1}"           # starts at the loss
    assert node["delta_edges"] == [f"d_{key}_t{i}" for i in (1, 2)]          # weight, bias: δ op → leaf


def test_replay_leaves_grads_alone_and_fresh_loss_runs_backward():
    model, loss = lenet_loss(batch=4)
    loss.backward(retain_graph=True)
    grads = {n: p.grad.copy() for n, p in model.named_parameters()}
    Explorer(loss)
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(p.grad, grads[n], err_msg=n)           # not accumulated again
    fresh_model, fresh = lenet_loss(batch=4)
    assert all(p.grad is None for p in fresh_model.parameters())
    explorer = Explorer(fresh)                                               # runs backward itself
    for n, p in fresh_model.named_parameters():
        np.testing.assert_allclose(p.grad, grads[n], rtol=1e-6, err_msg=n)
    assert "backward ran here" in explorer.html


def test_released_graph_says_so():
    _, loss = lenet_loss(batch=2)
    loss.backward()
    page = Explorer(loss).html
    assert "graph was released" in page
    assert all(n.get("delta") is None for n in page_data(page)["nodes"].values())


def test_repr_html_is_an_isolated_iframe(lenet_page):
    explorer = lenet_page[3]
    text = explorer._repr_html_()
    assert text.startswith("<iframe srcdoc='") and "</iframe>" in text
    doc = re.search(r"srcdoc='(.*?)' title=", text, re.S).group(1)
    assert doc.replace("&#39;", "'").replace("&amp;", "&") == explorer.html
    assert 'data-op="conv2d"' in text and "'" not in doc


def test_bad_input_and_missing_dot(tmp_path, monkeypatch):
    _, loss = lenet_loss(batch=2)
    with pytest.raises(ValueError, match=r"Explorer: sample 5 is not embedded.*first 2 of a batch of 2"):
        Explorer(loss, sample=5)
    with pytest.raises(ValueError, match=r"Explorer: the loss must be a scalar, got shape \(2, 10\)"):
        Explorer(loss.grad_fn.inputs[0])
    with pytest.raises(ValueError, match="Explorer: expected a loss Tensor with a recorded graph"):
        Explorer(Tensor([1.0]))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizNotFound, match="apt-get install graphviz"):
        Explorer(loss)


# -- in the browser -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium for the module; nothing is downloaded (the driver's path is
    given, so selenium-manager never runs)."""
    if not available("chromium"):
        pytest.skip("no browser")      # unreachable: requires("chromium") skips/fails first
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile:
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                    "--window-size=1400,900"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture
def page(browser, lenet_page):
    browser.get(lenet_page[4].as_uri())
    browser.get_log("browser")            # start each test with an empty console log
    return browser


def console_errors(driver):
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


@requires("chromium")
def test_click_conv_shows_formula_and_pictures(page, lenet_page):
    from selenium.webdriver.common.by import By

    formula = Graph(lenet_page[1]).nodes[0].formula
    page.find_element(By.CSS_SELECTOR, '[data-op="conv2d"]').click()
    details = page.find_element(By.ID, "details")
    text = details.text
    assert formula in text and "(64, 6, 28, 28)" in text          # the whole formula, as written
    assert "c1.weight (6, 1, 5, 5)" in text and "stride=1, padding=2" in text
    conv = Graph(lenet_page[1]).nodes[0]
    assert f"‖δ‖\n{conv.grad_norm:.4g}" in text                   # formatted as Python's .4g
    figures = details.find_elements(By.CSS_SELECTOR, "figure.map canvas")
    captions = [f.text for f in details.find_elements(By.CSS_SELECTOR, "figure.map figcaption")]
    assert captions == [f"out ch {c}" for c in range(6)] + [f"δ ch {c}" for c in range(6)]
    assert len(figures) == 12 and len(details.find_elements(By.CSS_SELECTOR, ".colourbar")) == 2
    # the pictures are drawn (not blank): some pixel differs from white
    drawn = page.execute_script("""
        return Array.from(document.querySelectorAll('#details figure.map canvas')).map(function (c) {
          var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;
          for (var i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) n++;
          return n; });""")
    assert all(n > 0 for n in drawn), drawn
    # one symmetric scale per picture group, from every channel of the chosen sample
    conv_out = lenet_page[2]
    limits = [float(re.search(r"\|max\| = (\S+)", p.text).group(1))
              for p in details.find_elements(By.CSS_SELECTOR, "p.scale-note")]
    expected = [np.abs(conv_out.data[0]).max(), np.abs(conv_out.grad[0]).max()]
    np.testing.assert_allclose(limits, expected, rtol=1e-3)
    assert console_errors(page) == []


@requires("chromium")
def test_parameter_shows_weights_and_gradient(page):
    from selenium.webdriver.common.by import By

    page.find_element(By.CSS_SELECTOR, '[data-leaf="c1.weight"]').click()
    details = page.find_element(By.ID, "details")
    headings = [h.text for h in details.find_elements(By.TAG_NAME, "h3")]
    assert headings == ["weights", "gradient ∂E/∂c1.weight"]
    assert len(details.find_elements(By.CSS_SELECTOR, "figure.map canvas")) == 2 * 6   # 6×1 kernels
    assert console_errors(page) == []


@requires("chromium")
def test_stepping_walks_reverse_topological_order(page, lenet_page):
    from selenium.webdriver.common.by import By

    loss = lenet_page[1]
    tensors = Graph(loss).tensors
    expected = [(f"t{i}", t.grad_fn.op) for i, t in reversed(list(enumerate(tensors)))
                if t.grad_fn is not None]
    assert expected[0][1] == "cross_entropy" and expected[-1][1] == "conv2d"
    assert page.find_elements(By.CSS_SELECTOR, ".current") == []
    seen, traversed = [], []
    for _ in expected:
        page.find_element(By.ID, "step-next").click()
        current = page.find_elements(By.CSS_SELECTOR, ".current")
        assert len(current) == 1
        seen.append((current[0].get_attribute("data-node"), current[0].get_attribute("data-op")))
        traversed.append(len(page.find_elements(By.CSS_SELECTOR, "g.edge.delta.traversed")))
        details = page.find_element(By.ID, "details")
        assert seen[-1][1] in details.find_element(By.TAG_NAME, "h2").text
        node = tensors[int(seen[-1][0][1:])].grad_fn
        assert f"‖δ‖\n{node.grad_norm:.4g}" in details.text and node.formula in details.text
    assert seen == expected
    # δ edges light up as backward reaches each op: every δ edge once the walk is done
    assert traversed == sorted(traversed) and traversed[0] == 1        # loss → logits
    delta_edges = sum(x.requires_grad for node in Graph(loss).nodes for x in node.inputs)
    assert traversed[-1] == len(page.find_elements(By.CSS_SELECTOR, "g.edge.delta")) == delta_edges == 22
    edge = page.find_element(By.CSS_SELECTOR, "g.edge.delta.traversed title").get_attribute("textContent")
    assert re.fullmatch(r"t(\d+)->t(\d+)", edge)
    a, b = map(int, re.fullmatch(r"t(\d+)->t(\d+)", edge).groups())
    assert a > b                                                        # op → its input: backwards
    page.find_element(By.ID, "step-prev").click()
    assert page.find_element(By.CSS_SELECTOR, ".current").get_attribute("data-node") == expected[-2][0]
    assert len(page.find_elements(By.CSS_SELECTOR, "g.edge.delta.traversed")) == traversed[-2]
    for _ in expected[1:]:
        page.find_element(By.ID, "step-prev").click()
    assert page.find_elements(By.CSS_SELECTOR, ".current") == []
    assert console_errors(page) == []


@requires("chromium")
def test_sample_selector_redraws(page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    options = page.find_elements(By.CSS_SELECTOR, "#sample option")
    assert [o.text for o in options] == [str(i) for i in range(8)]
    page.find_element(By.CSS_SELECTOR, '[data-leaf="input"]').click()
    grab = "return document.querySelector('#details figure.map canvas').toDataURL();"
    first = page.execute_script(grab)
    Select(page.find_element(By.ID, "sample")).select_by_value("3")
    assert "sample 3" in page.find_element(By.ID, "details").text
    assert page.execute_script(grab) != first
    assert console_errors(page) == []


@requires("chromium")
def test_repr_html_works_in_a_page_like_jupyter(browser, lenet_page, tmp_path):
    from selenium.webdriver.common.by import By

    host = tmp_path / "notebook.html"
    host.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><h1>a notebook</h1>"
                    + lenet_page[3]._repr_html_() + "</body></html>", encoding="utf-8")
    browser.get(host.as_uri())
    browser.get_log("browser")
    browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
    try:
        browser.find_element(By.ID, "step-next").click()
        assert browser.find_element(By.CSS_SELECTOR, ".current").get_attribute("data-op") == "cross_entropy"
        browser.find_element(By.CSS_SELECTOR, '[data-op="max_pool2d"]').click()
        assert "argmax" in browser.find_element(By.ID, "details").text
    finally:
        browser.switch_to.default_content()
    assert browser.find_elements(By.ID, "details") == []          # the page's script stayed inside
    assert console_errors(browser) == []


def test_parameters_updated_since_backward_say_so():
    from tinygrad_cnn import no_grad

    model, loss = lenet_loss(batch=2)
    loss.backward(retain_graph=True)
    with no_grad():
        dict(model.named_parameters())["c3.weight"].mul_(0.5)   # in place: the graph is stale now
    page = Explorer(loss).html
    assert "δ maps unavailable" in page and "in-place" in page
    assert all(n.get("delta") is None for n in page_data(page)["nodes"].values())


def test_a_nan_loss_still_gives_a_valid_page():
    x = Tensor(np.array([[-1.0, 2.0]]), requires_grad=True)
    with np.errstate(invalid="ignore"):
        loss = x.log().sum()                         # log(−1) = nan
        page = Explorer(loss).html
    data = page_data(page)                           # strict JSON: no NaN literal
    assert [n["value"] for n in data["nodes"].values() if n["kind"] == "op" and n["op"] == "sum"] == [None]
    assert "E = nan (sum)" in page
