"""Demo knowledge base: published Chinese articles of every type for the demo products, written by
the demo engineers and agents, approved by the reviewer, with votes (some with reasons) and the
reward points those earn.

    create_knowledge_articles(*, rng: random.Random, per_product: int = 6) -> int

Call it after the network (users, products, categories, customers) exists; it returns how many
articles it published. Everything goes through the knowledge services, so revisions, the search
index, reward entries and vote counters are consistent."""

from __future__ import annotations

import random
from typing import Any

from loopdesk.accounts.models import User
from loopdesk.accounts.roles import Perm, Role
from loopdesk.assets.models import Product
from loopdesk.core.errors import DomainError
from loopdesk.knowledge import services
from loopdesk.knowledge.index import refresh_dictionary
from loopdesk.tickets.models import Category

# (type, category leaf, audience, title, fields); {p} is the product's name, {v} a version of it.
TEMPLATES: list[tuple[str, str, str, str, dict[str, str]]] = [
    ("troubleshooting", "凭证打印", "product", "{p} 凭证打印时提示“找不到打印模板”", {
        "symptom": "<p>在 {p} {v} 中打印凭证，系统提示“找不到打印模板”，打印预览为空白。</p>",
        "cause": "<p>升级或重装后，打印模板文件未随账套迁移，或模板目录没有读写权限。</p>",
        "resolution": "<ol><li>进入【系统管理】→【打印模板】，点击“导入”，选择安装目录下的 <code>voucher.rpt</code>。</li>"
                      "<li>确认模板目录对当前操作系统用户有读写权限。</li><li>重新登录后再次打印。</li></ol>"}),
    ("troubleshooting", "加密锁与注册", "product", "{p} 登录提示“未检测到加密锁”", {
        "symptom": "<p>客户端登录 {p} 时提示“未检测到加密锁”，无法进入系统。</p>",
        "cause": "<p>加密锁驱动未安装或版本过旧；服务器端加密服务未启动；USB 接口供电不足。</p>",
        "resolution": "<ol><li>在服务器上重新安装加密锁驱动（随安装盘提供）。</li>"
                      "<li>在“服务”中启动 <code>Sentinel</code> 相关服务并设为自动。</li>"
                      "<li>更换主板后置 USB 接口后重启服务器。</li></ol>"}),
    ("troubleshooting", "数据库", "internal", "{p} 连接数据库超时（SQL Server）", {
        "symptom": "<p>用户登录或查询报表时提示“数据库连接超时”，高峰期尤为明显。</p>",
        "cause": "<p>SQL Server 未开启 TCP/IP 协议、1433 端口被防火墙拦截，或连接池耗尽。</p>",
        "resolution": "<ol><li>在 SQL Server 配置管理器中启用 TCP/IP 并重启服务。</li>"
                      "<li>在防火墙放行 1433 端口。</li><li>在应用服务器配置中把连接池上限调至 200。</li></ol>"}),
    ("known_error", "月末结账", "product", "{p} {v} 月末结账时“存在未记账凭证”误报", {
        "symptom": "<p>{p} {v} 月末结账检查提示存在未记账凭证，但凭证查询中找不到未记账凭证。</p>",
        "cause": "<p>已知缺陷：作废凭证仍被结账检查计入。计划在下一个补丁修复。</p>",
        "workaround": "<p>在【凭证整理】中清除作废凭证后重新结账；或安装临时补丁后重启应用服务。</p>"}),
    ("known_error", "财务报表", "partners", "{p} {v} 导出报表到 Excel 时中文乱码", {
        "symptom": "<p>从 {p} 导出的 Excel 报表在 WPS 或旧版 Excel 中打开时中文显示为乱码。</p>",
        "cause": "<p>导出默认使用 UTF-8 无 BOM 的 CSV 格式，旧版软件按 GBK 解析。</p>",
        "workaround": "<p>导出时选择“Excel 工作簿（.xlsx）”格式；或用记事本另存为带 BOM 的 UTF-8。</p>"}),
    ("howto", "版本升级", "product", "如何把 {p} 升级到 {v}", {
        "body": "<h3>升级前</h3><ul><li>备份所有账套和系统数据库。</li><li>确认服务器操作系统和数据库版本满足 {v} 的要求。</li></ul>"
                "<h3>升级步骤</h3><ol><li>停止应用服务。</li><li>运行升级安装程序，选择“升级已有系统”。</li>"
                "<li>执行账套升级工具，逐个升级账套。</li><li>启动服务并用管理员登录验证。</li></ol>"}),
    ("howto", "备份与恢复", "public", "{p} 设置自动备份账套", {
        "body": "<p>建议每天自动备份一次账套，保留最近 30 天。</p><ol><li>以系统管理员登录【系统管理】。</li>"
                "<li>打开【设置备份计划】，新建计划：每天 23:00，备份路径选非系统盘。</li>"
                "<li>勾选“备份完成后校验”，保存。</li></ol><p>备份文件请定期复制到异地存储。</p>"}),
    ("howto", "权限设置", "public", "{p} 给操作员分配功能权限", {
        "body": "<ol><li>在【系统管理】→【权限】中选择操作员。</li><li>按模块勾选功能权限，必要时设置数据权限。</li>"
                "<li>保存后让操作员重新登录生效。</li></ol><p><strong>注意：</strong>账套主管拥有全部权限，无需单独分配。</p>"}),
    ("faq", "账号与密码", "public", "{p} 忘记操作员密码怎么办？", {
        "body": "<p>普通操作员的密码由账套主管或系统管理员在【系统管理】→【操作员】中重置；"
                "系统管理员（admin）密码遗忘时，请联系服务热线 400 由工程师远程协助重置。</p>"}),
    ("faq", "安装配置", "public", "{p} 支持哪些操作系统和数据库？", {
        "body": "<ul><li>服务器：Windows Server 2016 / 2019 / 2022。</li><li>数据库：SQL Server 2016 及以上。</li>"
                "<li>客户端：Windows 10 / 11，浏览器 Chrome 或 Edge 最新版。</li></ul>"}),
    ("announcement", "版本升级", "public", "{p} {v} 补丁发布公告", {
        "body": "<p>{p} {v} 累计补丁已发布，修复月末结账、凭证打印和报表导出等问题。</p>"
                "<p>请在业务低峰时段安装，安装前务必备份账套。如需协助，请提交服务请求。</p>"}),
    ("troubleshooting", "流程审批", "product", "{p} 审批流程卡在某一节点不流转", {
        "symptom": "<p>单据提交后停在某一审批节点，审批人待办中看不到该单据。</p>",
        "cause": "<p>该节点审批人离职或岗位变更，流程找不到有效的处理人。</p>",
        "resolution": "<ol><li>管理员在【流程管理】中找到该流程实例。</li><li>使用“转办”将节点转给新的审批人。</li>"
                      "<li>在流程模板中更新岗位与人员的对应关系。</li></ol>"}),
]
REASONS = ["outdated", "unclear", "did_not_solve", "wrong_product"]


def _users(perm: str, roles: list[str]) -> list[User]:
    found = [u for u in User.objects.filter(is_active=True, memberships__role__in=roles).distinct().order_by("pk")
             if u.can(perm)]
    return found


def _category(name: str) -> Category | None:
    return Category.objects.filter(name=name, active=True).first()


def create_knowledge_articles(*, rng: random.Random, per_product: int = 6) -> int:
    """Publish `per_product` articles for each active product (about 36 for the demo's six
    products), with votes; returns how many were published."""
    refresh_dictionary(force=True)
    authors = _users(Perm.KNOWLEDGE_WRITE, [Role.ENGINEER, Role.AGENT])[:12]
    reviewers = _users(Perm.KNOWLEDGE_REVIEW, [Role.KNOWLEDGE_REVIEWER, Role.MANAGER])[:3]
    if not authors or not reviewers:
        return 0
    staff_voters = _users(Perm.KNOWLEDGE_WRITE, [Role.AGENT, Role.ENGINEER, Role.FIELD_ENGINEER])[:30]
    customers = list(User.objects.filter(is_active=True, memberships__role=Role.CUSTOMER).order_by("pk")[:40])
    published = 0
    for product in Product.objects.filter(active=True).prefetch_related("versions").order_by("name"):
        versions = list(product.versions.all())
        for kind, leaf, audience, title, fields in rng.sample(TEMPLATES, min(per_product, len(TEMPLATES))):
            version = rng.choice(versions) if versions else None
            words = {"p": product.name, "v": version.version if version else ""}
            values: dict[str, Any] = {k: v.format(**words) for k, v in fields.items()}
            author, reviewer = rng.choice(authors), rng.choice(reviewers)
            article = services.create_article(
                actor=author, title=title.format(**words).strip(), type=kind, audience=audience,
                products=[product], versions=[version] if version and "{v}" in title else [],
                category=_category(leaf), tags=[product.name, leaf], **values)
            services.transition_article(actor=author, article=article, to="review", reviewer=reviewer)
            services.transition_article(actor=reviewer, article=article, to="published", note="内容准确，同意发布")
            published += 1
            _vote(article, rng, staff_voters + customers)
    return published


def _vote(article: Any, rng: random.Random, voters: list[User]) -> None:
    for voter in rng.sample(voters, min(len(voters), rng.randint(0, 8))):
        helpful = rng.random() < 0.8
        try:
            services.vote_article(actor=voter, article=article, helpful=helpful,
                                  reason="" if helpful else rng.choice(REASONS),
                                  comment="" if helpful or rng.random() < 0.5 else "步骤和我看到的界面不一致")
        except DomainError:  # a customer who may not read this article
            continue
