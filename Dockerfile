# The Postbank image: one image for init, web (gunicorn), worker and beat (docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 postbank

# Dependencies first, from the lock file with hashes (uv pip compile --generate-hashes): this
# layer is rebuilt only when the lock changes, and pip refuses anything not hashed in it.
# The lock holds setuptools too, so the project itself builds without fetching anything.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# Then the source (.dockerignore keeps .env, .venv, .git and var/ out) and the static files,
# collected once here. The settings refuse to load without secrets when DEBUG is off: the
# placeholders below exist only for this step and are not in the image's environment.
COPY . .
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && DEBUG=0 SECRET_KEY=collectstatic-only PERSONAL_DATA_KEY=collectstatic-only \
       DATABASE_URL=postgres://collectstatic@localhost/none \
       python manage.py collectstatic --no-input --verbosity 0

USER postbank
EXPOSE 8000
CMD ["gunicorn", "postbank.wsgi", "--bind", "0.0.0.0:8000"]
