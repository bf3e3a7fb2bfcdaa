// JSON calls to /api/v1 with the session cookie and the page's CSRF token.
export async function call(url, { method = "POST", body } = {}) {
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json",
      "X-CSRFToken": token ? token.value : "" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json();
  if (!response.ok) {
    const error = new Error(data.detail || data.title || "failed");
    error.code = data.code || "failed";
    error.detail = data.detail || data.title;
    throw error;
  }
  return data;
}
