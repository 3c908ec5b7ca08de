"""Settings: defaults, and one clear message per bad variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings

SECRET = "x" * 40


def settings(**env: str) -> Settings:
    return load_settings({"SECRET_KEY": SECRET, **env}, env_file=None)


def test_defaults():
    s = settings()
    assert s.database_url == "sqlite+aiosqlite:///./aiguillage.db"
    assert s.content_dir == Path("content") and s.port == 8080
    assert not s.sms_enabled and not s.telegram_enabled


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too short"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL='nonsense' is not supported"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL='mysql://x/y' is not supported"),
        ({"PORT": "eighty"}, "PORT='eighty' is not a whole number"),
        ({"PORT": "70000"}, "PORT=70000 is out of range"),
        ({"CONTENT_DIR": "/nowhere"}, "CONTENT_DIR='/nowhere' is not a directory"),
        ({"PUBLIC_BASE_URL": "example.org"}, "PUBLIC_BASE_URL='example.org' is not an http(s) URL"),
        ({"TWILIO_ACCOUNT_SID": "XX12"}, "TWILIO_ACCOUNT_SID must start with 'AC'"),
        ({"TWILIO_FROM_NUMBER": "0612"}, "TWILIO_FROM_NUMBER='0612' is not an E.164 number"),
        (
            {"TWILIO_WHATSAPP_FROM": "+14155238886"},
            "TWILIO_WHATSAPP_FROM='+14155238886' is not a WhatsApp sender",
        ),
        (
            {"TWILIO_WHATSAPP_FROM": "whatsapp:0612"},
            "TWILIO_WHATSAPP_FROM='whatsapp:0612' is not a WhatsApp sender",
        ),
        ({"TELEGRAM_BOT_TOKEN": "abc"}, "TELEGRAM_BOT_TOKEN does not look like"),
        ({"TELEGRAM_WEBHOOK_SECRET": "a b"}, "TELEGRAM_WEBHOOK_SECRET must be"),
        ({"MEDIATORS_CHAT_ID": "group"}, "MEDIATORS_CHAT_ID='group' is not a Telegram chat id"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL='LOUD' must be one of"),
    ],
)
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(SettingsError) as error:
        settings(**env)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_env_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"SECRET_KEY={SECRET}\nPORT=9000\nLOG_LEVEL=DEBUG\n")
    s = load_settings({"PORT": "9001"}, env_file=env_file)
    assert s.secret_key == SECRET and s.port == 9001 and s.log_level == "DEBUG"


def test_channels_switch_on_with_complete_settings():
    s = settings(
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="token",
        TWILIO_FROM_NUMBER="+33757000000",
        TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
        TELEGRAM_BOT_TOKEN="123456:ABCdef",
        MEDIATORS_CHAT_ID="-1001234",
    )
    assert s.whatsapp_enabled and s.twilio_whatsapp_from == "whatsapp:+14155238886"
    assert s.sms_enabled and s.telegram_enabled and s.mediators_chat_id == -1001234
