FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
    && SECRET_KEY=collectstatic-only PERSONAL_DATA_KEY=collectstatic-only DEBUG=0 python manage.py collectstatic --no-input \
    && useradd --create-home postbank
USER postbank
EXPOSE 8000
CMD ["gunicorn", "postbank.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4"]
