"""The survey itself works: every sitemap page is examined at both widths and in both schemes, solutions open."""

from __future__ import annotations

import pytest

from tests.conftest import SCHEMES, VIEWPORTS

pytestmark = pytest.mark.site


def test_survey_covers_every_page_in_every_configuration(survey):
    paths = {path for path, _, _ in survey}
    assert len(paths) >= 5
    assert len(survey) == len(paths) * len(VIEWPORTS) * len(SCHEMES)
    for (path, viewport, scheme), entry in survey.items():
        basics = entry["basics"]
        assert basics["viewportWidth"] == VIEWPORTS[viewport]["width"], (path, viewport)
        assert basics["colorScheme"] == ("slate" if scheme == "dark" else "default"), (path, scheme)
        assert basics["closedDetails"] == 0, f"{path}: {basics['closedDetails']} <details> left closed"
