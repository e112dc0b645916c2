"""A page in headless Chromium, waited on by conditions in the page (never by fixed sleeps)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

DEADLINE_S = 60.0
T = TypeVar("T")


class Ui:
    """Chromium pointed at one server."""

    def __init__(self, driver: WebDriver, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str, loaded: str) -> None:
        """Load path and wait until its script has rendered (body[data-loaded=<loaded>])."""
        self.driver.get(self.base_url + path)
        self.wait(lambda: self.driver.find_element(By.TAG_NAME, "body").get_attribute(
            "data-loaded") == loaded, f"{path} to render")  # fmt: skip

    def wait(self, condition: Callable[[], T | None], what: str, timeout: float = DEADLINE_S) -> T:
        """Poll condition until it is truthy; its value."""
        waiter = WebDriverWait(self.driver, timeout, poll_frequency=0.1)
        result = waiter.until(lambda _: condition(), message=f"waiting for {what}")
        return cast(T, result)

    def one(self, css: str) -> WebElement:
        """The element matching css."""
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[WebElement]:
        """Every element matching css."""
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def texts(self, css: str) -> list[str]:
        """Rendered text of every element matching css, read at one instant in the page."""
        found: list[str] = self.script(
            "return [...document.querySelectorAll(arguments[0])].map((el) => el.innerText)", css
        )
        return found

    def script(self, source: str, *args: Any) -> Any:
        """Run JavaScript in the page."""
        return self.driver.execute_script(source, *args)

    def console_errors(self, ignore: tuple[str, ...] = ()) -> list[str]:
        """SEVERE console messages since the last call, minus those mentioning ignored text."""
        entries: list[dict[str, Any]] = self.driver.get_log("browser")  # type: ignore[no-untyped-call]
        severe = [str(e["message"]) for e in entries if e.get("level") == "SEVERE"]
        return [m for m in severe if not any(text in m for text in ignore)]
