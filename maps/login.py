"""The sign-in page (登录), Chinese with English, with nothing loaded from outside.

No script and no inline style: the page works under the strictest content security
policy, and its one stylesheet is served by gisgrid (``LOGIN_CSS`` at ``/login.css``).
"""

from __future__ import annotations

from html import escape

LOGIN_CSS = """\
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       background: #f3f5f7; color: #1f2933; margin: 0; }
main { max-width: 22rem; margin: 10vh auto; background: #fff; padding: 2rem;
       border-radius: 8px; box-shadow: 0 2px 12px rgba(0, 0, 0, .08); }
h1 { font-size: 1.4rem; margin: 0 0 1.5rem; }
h1 small, label small, button small { display: block; font-weight: normal; color: #616e7c;
                                      font-size: .8rem; }
label { display: block; margin: 0 0 1rem; font-size: .95rem; }
input { display: block; width: 100%; box-sizing: border-box; margin-top: .3rem;
        padding: .55rem; border: 1px solid #9aa5b1; border-radius: 4px; font-size: 1rem; }
button { width: 100%; padding: .6rem; border: 0; border-radius: 4px; background: #2f6fb0;
         color: #fff; font-size: 1rem; cursor: pointer; }
.error { background: #fde8e8; color: #9b1c1c; padding: .6rem; border-radius: 4px;
         margin-bottom: 1rem; }
.who { background: #e3f2e6; padding: .6rem; border-radius: 4px; margin-bottom: 1rem; }
nav { margin-top: 1.5rem; font-size: .9rem; }
"""

ROLE_LABELS = {"admin": "管理员 admin", "planner": "规划员 planner", "staff": "网格员 staff",
               "consumer": "接口用户 consumer"}


def render_login_page(*, next_url: str, error: str | None = None, user: str | None = None,
                      role: str | None = None) -> str:
    """The sign-in form (and, for a signed-in user, who they are and a sign-out button).

    ``next_url`` is where the browser goes after signing in; ``error`` a message shown
    above the form. Every value is HTML-escaped.
    """
    nxt = escape(next_url, quote=True)
    parts = ['<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>登录 · Sign in · gisgrid</title>",
             '<link rel="stylesheet" href="/login.css"></head><body><main>',
             "<h1>gisgrid 网格管理登录<small>Sign in to gisgrid</small></h1>"]
    if user is not None:
        parts.append(f'<div class="who" id="signed-in">已登录：{escape(user)}'
                     f"（{escape(ROLE_LABELS.get(role or '', role or ''))}）"
                     f"<small>Signed in as {escape(user)}</small></div>"
                     '<form method="post" action="/logout"><button type="submit" id="sign-out">'
                     "退出登录<small>Sign out</small></button></form>")
    if error is not None:
        parts.append(f'<div class="error" role="alert" id="login-error">{escape(error)}</div>')
    parts.append(
        '<form method="post" action="/login" id="login-form">'
        f'<input type="hidden" name="next" value="{nxt}">'
        '<label>用户名<small>Name</small><input name="name" autocomplete="username" required '
        'maxlength="100" autofocus></label>'
        '<label>密码<small>Password</small><input name="password" type="password" '
        'autocomplete="current-password" required maxlength="1024"></label>'
        '<button type="submit">登录<small>Sign in</small></button></form>'
        '<nav><a href="/maps/">公开地图 · Public map</a></nav></main></body></html>')
    return "".join(parts)
