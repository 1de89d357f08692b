<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>Account</name>
    <message>
        <source>Asking the server…</source>
        <translation>正在查询…</translation>
    </message>
    <message>
        <source>Account {account}</source>
        <translation>户号 {account}</translation>
    </message>
    <message>
        <source>Prepaid balance: {amount}</source>
        <translation>预存余额：{amount}</translation>
    </message>
    <message>
        <source>Coupon {code}: {label}, {amount} off</source>
        <translation>优惠券 {code}：{label}，减 {amount}</translation>
    </message>
    <message>
        <source>No balance or coupons on this account.</source>
        <translation>此户号没有余额或优惠券。</translation>
    </message>
    <message>
        <source>Recent QR orders</source>
        <translation>最近的扫码订单</translation>
    </message>
    <message>
        <source>Paid at this kiosk</source>
        <translation>在本机的缴费</translation>
    </message>
    <message>
        <source>Back to the bill</source>
        <translation>返回账单</translation>
    </message>
    <message>
        <source>Orders cannot be shown right now.</source>
        <translation>暂时无法显示订单。</translation>
    </message>
    <message>
        <source>paid</source>
        <translation>已支付</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>not paid</source>
        <translation>未支付</translation>
    </message>
    <message>
        <source>No orders yet.</source>
        <translation>暂无订单。</translation>
    </message>
    <message>
        <source>No payments at this kiosk yet.</source>
        <translation>本机暂无缴费记录。</translation>
    </message>
    <message>
        <source>Reprint</source>
        <translation>补打凭条</translation>
    </message>
    <message>
        <source>Printing…</source>
        <translation>正在打印…</translation>
    </message>
    <message>
        <source>Take your receipt below the screen.</source>
        <translation>请在屏幕下方取走凭条。</translation>
    </message>
    <message>
        <source>The printer cannot print now.</source>
        <translation>打印机暂时无法打印。</translation>
    </message>
</context>
<context>
    <name>AreYouThere</name>
    <message>
        <source>Are you still there?</source>
        <translation>您还在吗？</translation>
    </message>
    <message>
        <source>You have inserted {amount}. If you leave, it is kept for you as the session ends.</source>
        <translation>您已投入 {amount}。如果离开，这笔钱会在本次服务结束时为您保留。</translation>
    </message>
    <message>
        <source>The session ends soon unless you continue.</source>
        <translation>如不继续，本次服务即将结束。</translation>
    </message>
    <message>
        <source>Yes, I need more time</source>
        <translation>是的，我需要更多时间</translation>
    </message>
    <message>
        <source>End now</source>
        <translation>现在结束</translation>
    </message>
</context>
<context>
    <name>Attract</name>
    <message>
        <source>Pay your bills here</source>
        <translation>自助缴费</translation>
    </message>
    <message>
        <source>Touch to start</source>
        <translation>点击开始</translation>
    </message>
    <message>
        <source>Have an account card? Insert it to start.</source>
        <translation>有缴费卡？插卡即可开始。</translation>
    </message>
    <message>
        <source>Offline: cash only, prepaid cards up to the offline limit.</source>
        <translation>网络中断：仅收现金，预付费卡在离线限额内可购电。</translation>
    </message>
    <message>
        <source>Receipts are electronic today (scan a code).</source>
        <translation>今日提供电子凭条（扫码获取）。</translation>
    </message>
</context>
<context>
    <name>Bill</name>
    <message>
        <source>{service} account {account}</source>
        <translation>{service} 户号 {account}</translation>
    </message>
    <message>
        <source>Account holder: {holder}</source>
        <translation>户名：{holder}</translation>
    </message>
    <message>
        <source>My account: payments, balance, receipts</source>
        <translation>我的账户：缴费记录、余额、凭条</translation>
    </message>
    <message>
        <source>Coupon {code}: {label}</source>
        <translation>优惠券 {code}：{label}</translation>
    </message>
    <message>
        <source>Credit {amount} applied</source>
        <translation>预存款 {amount} 已抵扣</translation>
    </message>
    <message>
        <source>Balance on the meter account</source>
        <translation>表计账户余额</translation>
    </message>
    <message>
        <source>Credit left on the account</source>
        <translation>账户预存款余额</translation>
    </message>
    <message>
        <source>Used this year</source>
        <translation>本年已用量</translation>
    </message>
    <message>
        <source>Due: {amount}</source>
        <translation>应缴：{amount}</translation>
    </message>
    <message>
        <source>How much would you like to buy?</source>
        <translation>您要购买多少？</translation>
    </message>
    <message>
        <source>Pay {amount}</source>
        <translation>缴纳 {amount}</translation>
    </message>
    <message>
        <source>Type another amount (whole yuan)</source>
        <translation>输入其他金额（整元）</translation>
    </message>
</context>
<context>
    <name>Busy</name>
    <message>
        <source>Looking up your bill…</source>
        <translation>正在查询您的账单…</translation>
    </message>
    <message>
        <source>Cancelling the QR order…</source>
        <translation>正在取消扫码订单…</translation>
    </message>
    <message>
        <source>Paid. Printing your receipt…</source>
        <translation>已支付，正在打印凭条…</translation>
    </message>
    <message>
        <source>Please wait. Do not take your card or walk away.</source>
        <translation>请稍候，请勿拔卡或离开。</translation>
    </message>
</context>
<context>
    <name>Card</name>
    <message>
        <source>Insert your bank card</source>
        <translation>请插入银行卡</translation>
    </message>
    <message>
        <source>To pay: {amount}</source>
        <translation>应付：{amount}</translation>
    </message>
    <message>
        <source>Insert the card chip first into the slot below the screen. Leave it in until the screen says the payment is done.</source>
        <translation>请将银行卡芯片朝前插入屏幕下方的卡槽。屏幕提示支付完成前请勿拔卡。</translation>
    </message>
</context>
<context>
    <name>Cash</name>
    <message>
        <source>Insert notes one at a time</source>
        <translation>请逐张放入纸币</translation>
    </message>
    <message>
        <source>To pay: {amount}</source>
        <translation>应付：{amount}</translation>
    </message>
    <message>
        <source>Inserted: {amount}</source>
        <translation>已投入：{amount}</translation>
    </message>
    <message>
        <source>Still to pay: {amount}</source>
        <translation>还需：{amount}</translation>
    </message>
    <message>
        <source>Checking a note of {amount}…</source>
        <translation>正在识别 {amount} 纸币…</translation>
    </message>
    <message>
        <source>Notes taken: {notes}</source>
        <translation>可收纸币：{notes}</translation>
    </message>
    <message>
        <source>No change is given: any extra goes to your account.</source>
        <translation>本机不找零：多付金额存入您的账户。</translation>
    </message>
    <message>
        <source>Finish with what I inserted</source>
        <translation>按已投金额完成</translation>
    </message>
</context>
<context>
    <name>ChooseService</name>
    <message>
        <source>What would you like to pay?</source>
        <translation>请选择缴费项目</translation>
    </message>
</context>
<context>
    <name>Done</name>
    <message>
        <source>Payment complete. Thank you!</source>
        <translation>缴费成功，谢谢！</translation>
    </message>
    <message>
        <source>Paid {amount} by {method}</source>
        <translation>已通过{method}支付 {amount}</translation>
    </message>
    <message>
        <source>Transaction {id}</source>
        <translation>交易号 {id}</translation>
    </message>
    <message>
        <source>Take your receipt below the screen.</source>
        <translation>请在屏幕下方取走凭条。</translation>
    </message>
    <message>
        <source>Scan this code for your e-receipt.</source>
        <translation>请扫码获取电子凭条。</translation>
    </message>
    <message>
        <source>Text the receipt to my phone</source>
        <translation>把凭条发到我的手机</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Writing the units to your card. Do not take the card out yet.</source>
        <translation>正在把本次购买写入您的卡，请暂勿拔卡。</translation>
    </message>
    <message>
        <source>The units are on your card. You can take the card now.</source>
        <translation>已写入卡中，现在可以取卡。</translation>
    </message>
    <message>
        <source>{amount} extra: take the credit voucher printed for it.</source>
        <translation>多付 {amount}：请取走打印的存款凭证。</translation>
    </message>
    <message>
        <source>{amount} extra was added to your account as prepayment.</source>
        <translation>多付 {amount} 已作为预存款存入您的账户。</translation>
    </message>
    <message>
        <source>Enter your mobile number:</source>
        <translation>请输入手机号：</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>正在发送…</translation>
    </message>
    <message>
        <source>Sent. It will arrive in a minute.</source>
        <translation>已发送，约一分钟内送达。</translation>
    </message>
    <message>
        <source>Could not send it now. Your printed or e-receipt is valid.</source>
        <translation>暂时无法发送。打印凭条或电子凭条同样有效。</translation>
    </message>
</context>
<context>
    <name>Ended</name>
    <message>
        <source>Payment cancelled</source>
        <translation>支付已取消</translation>
    </message>
    <message>
        <source>The session ended because nobody was there</source>
        <translation>长时间无操作，本次服务已结束</translation>
    </message>
    <message>
        <source>Sorry, a device failed</source>
        <translation>抱歉，设备发生故障</translation>
    </message>
    <message>
        <source>Payment complete</source>
        <translation>缴费成功</translation>
    </message>
    <message>
        <source>The QR code expired before it was paid</source>
        <translation>二维码已过期，未完成支付</translation>
    </message>
    <message>
        <source>We are still checking with {wallet} whether order {order} was paid. If it was, the money goes back to your {wallet} automatically.</source>
        <translation>正在向{wallet}核实订单 {order} 是否已支付。如已支付，款项将自动退回您的{wallet}。</translation>
    </message>
    <message>
        <source>Your payment for order {order} arrived after the session ended. It is being refunded to your {wallet}.</source>
        <translation>订单 {order} 的付款在本次交易结束后才到账，正在退回您的{wallet}。</translation>
    </message>
    <message>
        <source>Your payment for order {order} arrived after the session ended. It has been refunded to your {wallet}.</source>
        <translation>订单 {order} 的付款在本次交易结束后才到账，已退回您的{wallet}。</translation>
    </message>
    <message>
        <source>The bank approved the card after the session ended. The payment was cancelled: your card is not charged.</source>
        <translation>银行在交易结束后才批准该卡，此笔付款已撤销（冲正），您的卡不会被扣款。</translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation>微信支付</translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <source>UnionPay QuickPass</source>
        <translation>云闪付</translation>
    </message>
    <message>
        <source>No money was taken.</source>
        <translation>未扣任何款项。</translation>
    </message>
    <message>
        <source>Your {amount} is on the credit voucher printed below the screen. Keep it: it pays a future bill or is refunded at the service counter.</source>
        <translation>您的 {amount} 已记在屏幕下方打印的存款凭证上。请妥善保管：可抵下次缴费，或到服务柜台退款。</translation>
    </message>
    <message>
        <source>Your {amount} was added to account {account} as prepayment. It counts towards the next bill.</source>
        <translation>您的 {amount} 已作为预存款存入户号 {account}，将抵扣下期账单。</translation>
    </message>
    <message>
        <source>Questions? Call {hotline}.</source>
        <translation>如有疑问，请拨打 {hotline}。</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>确定</translation>
    </message>
</context>
<context>
    <name>Frame</name>
    <message>
        <source>Larger text</source>
        <translation>大字模式</translation>
    </message>
    <message>
        <source>Normal text</source>
        <translation>标准字体</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>网络中断</translation>
    </message>
    <message>
        <source>Help: {hotline}</source>
        <translation>服务热线：{hotline}</translation>
    </message>
    <message>
        <source>{seconds} s left</source>
        <translation>剩余 {seconds} 秒</translation>
    </message>
</context>
<context>
    <name>Identify</name>
    <message>
        <source>{service}: who is paying?</source>
        <translation>{service}：请输入缴费户号</translation>
    </message>
    <message>
        <source>Enter the account number printed on your bill.</source>
        <translation>请输入账单上的户号。</translation>
    </message>
    <message>
        <source>Enter your mobile number. We will text you a code.</source>
        <translation>请输入手机号，我们将发送验证码。</translation>
    </message>
    <message>
        <source>Enter the 6-digit code we texted you.</source>
        <translation>请输入短信中的6位验证码。</translation>
    </message>
    <message>
        <source>Or insert your account card.</source>
        <translation>或插入缴费卡。</translation>
    </message>
    <message>
        <source>Use my mobile number instead</source>
        <translation>改用手机号查询</translation>
    </message>
    <message>
        <source>Use my account number instead</source>
        <translation>改用户号查询</translation>
    </message>
</context>
<context>
    <name>Keyboard</name>
    <message>
        <source>Space</source>
        <translation>空格</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>确定</translation>
    </message>
</context>
<context>
    <name>Maintenance</name>
    <message>
        <source>technician</source>
        <translation>技术员</translation>
    </message>
    <message>
        <source>cash collector</source>
        <translation>收款员</translation>
    </message>
    <message>
        <source>administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>Maintenance: {role}</source>
        <translation>维护：{role}</translation>
    </message>
    <message>
        <source>Leave maintenance</source>
        <translation>退出维护</translation>
    </message>
    <message>
        <source>That did not work: {why}</source>
        <translation>操作未完成：{why}</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Bill acceptor</source>
        <translation>纸币器</translation>
    </message>
    <message>
        <source>Printer</source>
        <translation>打印机</translation>
    </message>
    <message>
        <source>Card reader</source>
        <translation>读卡器</translation>
    </message>
    <message>
        <source>Journal (disk)</source>
        <translation>交易日志（磁盘）</translation>
    </message>
    <message>
        <source>no reports yet</source>
        <translation>尚无报告</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>State: {state}</source>
        <translation>状态：{state}</translation>
    </message>
    <message>
        <source>Last error: {error}</source>
        <translation>最近错误：{error}</translation>
    </message>
    <message>
        <source>Counters: {c}</source>
        <translation>计数：{c}</translation>
    </message>
    <message>
        <source>Last: {e}</source>
        <translation>最近：{e}</translation>
    </message>
    <message>
        <source>Test print</source>
        <translation>打印测试页</translation>
    </message>
    <message>
        <source>Stop the note test</source>
        <translation>停止纸币测试</translation>
    </message>
    <message>
        <source>Note test: insert, read, return</source>
        <translation>纸币测试：投入、识别、退回</translation>
    </message>
    <message>
        <source>Card read test</source>
        <translation>读卡测试</translation>
    </message>
    <message>
        <source>Printing a test page…</source>
        <translation>正在打印测试页…</translation>
    </message>
    <message>
        <source>Test page printed.</source>
        <translation>测试页已打印。</translation>
    </message>
    <message>
        <source>Test page NOT printed: {why}</source>
        <translation>测试页未打印：{why}</translation>
    </message>
    <message>
        <source>Insert a note: it is read and given back, never kept.</source>
        <translation>请投入一张纸币：识别后退回，不会收取。</translation>
    </message>
    <message>
        <source>Reading the card…</source>
        <translation>正在读卡…</translation>
    </message>
    <message>
        <source>Upload queue</source>
        <translation>上传队列</translation>
    </message>
    <message>
        <source>Waiting to upload</source>
        <translation>待上传</translation>
    </message>
    <message>
        <source>Oldest unsent</source>
        <translation>最早未上传</translation>
    </message>
    <message>
        <source>Last upload</source>
        <translation>最近上传</translation>
    </message>
    <message>
        <source>Uploaded</source>
        <translation>已上传</translation>
    </message>
    <message>
        <source>Dead letters</source>
        <translation>上传失败</translation>
    </message>
    <message>
        <source>Retry the dead letters</source>
        <translation>重新上传失败的交易</translation>
    </message>
    <message>
        <source>{n} transaction(s) back in the queue.</source>
        <translation>{n} 笔交易已重新排队。</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>Kiosk</source>
        <translation>终端</translation>
    </message>
    <message>
        <source>Enrolled</source>
        <translation>注册</translation>
    </message>
    <message>
        <source>not enrolled</source>
        <translation>未注册</translation>
    </message>
    <message>
        <source>Central server</source>
        <translation>中心服务器</translation>
    </message>
    <message>
        <source>Software</source>
        <translation>软件版本</translation>
    </message>
    <message>
        <source>Config bundle</source>
        <translation>配置包</translation>
    </message>
    <message>
        <source>version {v}, signer key {k}</source>
        <translation>版本 {v}，签名密钥 {k}</translation>
    </message>
    <message>
        <source>Disk</source>
        <translation>磁盘</translation>
    </message>
    <message>
        <source>{free} MB free of {total} MB</source>
        <translation>可用 {free} MB / 共 {total} MB</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>kiosk {rss} MB, {free} MB available</source>
        <translation>终端占用 {rss} MB，可用 {free} MB</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>the demo PINs are in use: change them</source>
        <translation>正在使用演示密码：请修改</translation>
    </message>
    <message>
        <source>Check the network</source>
        <translation>检查网络</translation>
    </message>
    <message>
        <source>Asking the server…</source>
        <translation>正在查询…</translation>
    </message>
    <message>
        <source>Reachable: answered in {ms} ms.</source>
        <translation>可连接：{ms} 毫秒内应答。</translation>
    </message>
    <message>
        <source>NOT reachable: {why}</source>
        <translation>无法连接：{why}</translation>
    </message>
    <message>
        <source>Operations</source>
        <translation>运维操作</translation>
    </message>
    <message>
        <source>Customers see: out of service. The journal cannot be written: free space on the disk (see Devices and System), then restart.</source>
        <translation>顾客看到：暂停服务。交易日志无法写入：请先清理磁盘空间（见“设备”和“系统”），然后重启。</translation>
    </message>
    <message>
        <source>Customers see: out of service.</source>
        <translation>顾客看到：暂停服务。</translation>
    </message>
    <message>
        <source>Customers see: in service.</source>
        <translation>顾客看到：正常服务。</translation>
    </message>
    <message>
        <source>Back in service</source>
        <translation>恢复服务</translation>
    </message>
    <message>
        <source>Take out of service</source>
        <translation>暂停服务</translation>
    </message>
    <message>
        <source>Reprint the last receipt</source>
        <translation>补打最近一张凭证</translation>
    </message>
    <message>
        <source>Restart the kiosk app</source>
        <translation>重启终端程序</translation>
    </message>
    <message>
        <source>Export logs and journal to:</source>
        <translation>导出日志和流水到：</translation>
    </message>
    <message>
        <source>No removable drive found. Plug one in.</source>
        <translation>未找到移动存储，请插入U盘。</translation>
    </message>
    <message>
        <source>Printing…</source>
        <translation>正在打印…</translation>
    </message>
    <message>
        <source>Restarting…</source>
        <translation>正在重启…</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <source>Receipt printed again.</source>
        <translation>凭证已补打。</translation>
    </message>
    <message>
        <source>No receipt printed (no payment yet, or no paper).</source>
        <translation>未打印（尚无缴费，或缺纸）。</translation>
    </message>
    <message>
        <source>Exported to {folder}.</source>
        <translation>已导出到 {folder}。</translation>
    </message>
    <message>
        <source>Export failed: {why}</source>
        <translation>导出失败：{why}</translation>
    </message>
    <message>
        <source>Cash</source>
        <translation>现金</translation>
    </message>
    <message>
        <source>In the cashbox since the last collection ({at}):</source>
        <translation>上次清点（{at}）以来钱箱内：</translation>
    </message>
    <message>
        <source>× {n} = {sum}</source>
        <translation>× {n} = {sum}</translation>
    </message>
    <message>
        <source>{n} notes, {total}</source>
        <translation>{n} 张，{total}</translation>
    </message>
    <message>
        <source>Counted by hand (yuan, optional): {counted}</source>
        <translation>实点金额（元，可选）：{counted}</translation>
    </message>
    <message>
        <source>Collect: print the report, start a new period</source>
        <translation>清点：打印报告并开始新周期</translation>
    </message>
    <message>
        <source>Printing the report…</source>
        <translation>正在打印报告…</translation>
    </message>
    <message>
        <source>Collected {total}; report {printed}.</source>
        <translation>已清点 {total}；报告{printed}。</translation>
    </message>
    <message>
        <source>printed</source>
        <translation>已打印</translation>
    </message>
    <message>
        <source>NOT printed</source>
        <translation>未打印</translation>
    </message>
    <message>
        <source>Difference {d} journaled.</source>
        <translation>差额 {d} 已记录。</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Location shown to customers</source>
        <translation>向顾客显示的地点</translation>
    </message>
    <message>
        <source>Save the location</source>
        <translation>保存地点</translation>
    </message>
    <message>
        <source>Device connections</source>
        <translation>设备连接</translation>
    </message>
    <message>
        <source>Test the devices and apply</source>
        <translation>测试设备并应用</translation>
    </message>
    <message>
        <source>Chinese</source>
        <translation>中文</translation>
    </message>
    <message>
        <source>English</source>
        <translation>英文</translation>
    </message>
    <message>
        <source>Printer address</source>
        <translation>打印机地址</translation>
    </message>
    <message>
        <source>Acceptor port</source>
        <translation>纸币器端口</translation>
    </message>
    <message>
        <source>Card reader name</source>
        <translation>读卡器名称</translation>
    </message>
    <message>
        <source>Saved. Receipts and screens use it after the restart.</source>
        <translation>已保存，重启后凭证和屏幕使用新地点。</translation>
    </message>
    <message>
        <source>Testing the devices…</source>
        <translation>正在测试设备…</translation>
    </message>
    <message>
        <source>Every device answered: applied, restarting.</source>
        <translation>设备均已应答：已应用，正在重启。</translation>
    </message>
    <message>
        <source>Not applied: {why}</source>
        <translation>未应用：{why}</translation>
    </message>
    <message>
        <source>Enrollment</source>
        <translation>注册</translation>
    </message>
    <message>
        <source>Enrolled as {id} with {url}. A new code enrolls this kiosk again.</source>
        <translation>已在 {url} 注册为 {id}。输入新注册码可重新注册。</translation>
    </message>
    <message>
        <source>Not enrolled. Type the one-time code from the operator.</source>
        <translation>未注册。请输入运营方提供的一次性注册码。</translation>
    </message>
    <message>
        <source>Enroll</source>
        <translation>注册</translation>
    </message>
    <message>
        <source>Enrolling…</source>
        <translation>正在注册…</translation>
    </message>
    <message>
        <source>Enrolled: restarting to connect.</source>
        <translation>注册成功：正在重启以连接。</translation>
    </message>
    <message>
        <source>PINs</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>New PIN for the chosen role (6 to 12 digits), twice.</source>
        <translation>为所选角色设置新密码（6至12位数字），输入两次。</translation>
    </message>
    <message>
        <source>Type the new PIN again.</source>
        <translation>请再次输入新密码。</translation>
    </message>
    <message>
        <source>The two PINs differ. Start again.</source>
        <translation>两次输入不一致，请重新开始。</translation>
    </message>
    <message>
        <source>Not changed: {why}</source>
        <translation>未修改：{why}</translation>
    </message>
    <message>
        <source>PIN changed.</source>
        <translation>密码已修改。</translation>
    </message>
    <message>
        <source>Maintenance</source>
        <translation>维护</translation>
    </message>
    <message>
        <source>Enter your maintenance PIN.</source>
        <translation>请输入维护密码。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在核对…</translation>
    </message>
    <message>
        <source>The PIN could not be checked. Try again.</source>
        <translation>密码暂时无法核对，请重试。</translation>
    </message>
    <message>
        <source>Too many wrong PINs. PIN entry is locked until {time}.</source>
        <translation>输入错误次数过多，{time} 前禁止输入密码。</translation>
    </message>
    <message>
        <source>Wrong PIN. {n} tries left before the lock.</source>
        <translation>密码错误，再错 {n} 次将锁定。</translation>
    </message>
</context>
<context>
    <name>Method</name>
    <message>
        <source>Cash</source>
        <translation>现金</translation>
    </message>
    <message>
        <source>Bank card</source>
        <translation>银行卡</translation>
    </message>
    <message>
        <source>WeChat Pay</source>
        <translation>微信支付</translation>
    </message>
    <message>
        <source>Alipay</source>
        <translation>支付宝</translation>
    </message>
    <message>
        <source>UnionPay QR</source>
        <translation>银联二维码</translation>
    </message>
    <message>
        <source>How would you like to pay?</source>
        <translation>请选择支付方式</translation>
    </message>
    <message>
        <source>To pay: {amount}</source>
        <translation>应付：{amount}</translation>
    </message>
    <message>
        <source>The kiosk is offline: only cash can be taken now.</source>
        <translation>网络中断：目前仅收现金。</translation>
    </message>
</context>
<context>
    <name>Notice</name>
    <message>
        <source>That is not an account number. Check the digits on your bill.</source>
        <translation>户号格式不正确，请核对账单上的号码。</translation>
    </message>
    <message>
        <source>Enter the 11-digit mobile number.</source>
        <translation>请输入11位手机号。</translation>
    </message>
    <message>
        <source>Enter the 6-digit code from the text.</source>
        <translation>请输入短信中的6位验证码。</translation>
    </message>
    <message>
        <source>We have sent a 6-digit code to your phone. Enter it below.</source>
        <translation>验证码已发送到您的手机，请在下方输入。</translation>
    </message>
    <message>
        <source>This card belongs to another service. Choose that service or take the card.</source>
        <translation>此卡属于其他缴费项目。请选择对应项目或取回卡片。</translation>
    </message>
    <message>
        <source>No account with that number. Check it and try again.</source>
        <translation>未找到该户号，请核对后重试。</translation>
    </message>
    <message>
        <source>Bills cannot be looked up right now. Please try again later.</source>
        <translation>暂时无法查询账单，请稍后再试。</translation>
    </message>
    <message>
        <source>Nothing is due on this account.</source>
        <translation>此户号当前没有欠费。</translation>
    </message>
    <message>
        <source>That amount is below the minimum.</source>
        <translation>金额低于最低缴费额。</translation>
    </message>
    <message>
        <source>That amount is above what is due.</source>
        <translation>金额超过应缴金额。</translation>
    </message>
    <message>
        <source>This bill must be paid in full.</source>
        <translation>此账单须全额缴纳。</translation>
    </message>
    <message>
        <source>That way to pay is not available now. Choose another.</source>
        <translation>该支付方式暂不可用，请选择其他方式。</translation>
    </message>
    <message>
        <source>That note is not accepted. Take it back.</source>
        <translation>不收此面额纸币，请取回。</translation>
    </message>
    <message>
        <source>That note is more than is left to pay and was returned. Insert a smaller one.</source>
        <translation>该纸币超过剩余应付金额，已退回。请放入较小面额。</translation>
    </message>
    <message>
        <source>The note was returned. Insert it flat, one note at a time.</source>
        <translation>纸币已退回。请展平后逐张放入。</translation>
    </message>
    <message>
        <source>Insert more notes.</source>
        <translation>请继续放入纸币。</translation>
    </message>
    <message>
        <source>The note reader has a fault. Your money so far is safe.</source>
        <translation>纸币识别器故障。您已投入的钱款是安全的。</translation>
    </message>
    <message>
        <source>Your bank declined the card. No money was taken.</source>
        <translation>银行拒绝了此卡，未扣款。</translation>
    </message>
    <message>
        <source>The card could not be read. No money was taken.</source>
        <translation>无法读取银行卡，未扣款。</translation>
    </message>
    <message>
        <source>The bank did not answer. Your card is not charged.</source>
        <translation>银行未应答，您的卡不会被扣款。</translation>
    </message>
    <message>
        <source>The QR code could not be made. Choose another way to pay.</source>
        <translation>无法生成二维码，请选择其他支付方式。</translation>
    </message>
    <message>
        <source>The receipt could not be printed. Scan the code for your e-receipt.</source>
        <translation>凭条无法打印，请扫码获取电子凭条。</translation>
    </message>
    <message>
        <source>Paid, but not yet written to your card. It will be loaded at your next visit.</source>
        <translation>已支付，但尚未写入您的卡。下次插卡时将自动写入。</translation>
    </message>
    <message>
        <source>A purchase you paid for earlier is being written to your card now. Please leave the card in.</source>
        <translation>您之前已付款的购买正在写入您的卡，请暂勿拔卡。</translation>
    </message>
    <message>
        <source>The purchase you paid for earlier is now on your card.</source>
        <translation>您之前已付款的购买已写入卡中。</translation>
    </message>
    <message>
        <source>While the kiosk is offline, one payment may be at most {limit}.</source>
        <translation>网络中断期间，单笔最多 {limit}。</translation>
    </message>
</context>
<context>
    <name>OutOfService</name>
    <message>
        <source>Sorry, this kiosk is out of service</source>
        <translation>抱歉，本机暂停服务</translation>
    </message>
    <message>
        <source>Still possible here once it is back: {methods}.</source>
        <translation>恢复后可用：{methods}。</translation>
    </message>
    <message>
        <source>You can also pay in the {operator} app, by WeChat Pay or Alipay at home, or call {hotline}.</source>
        <translation>您也可以在{operator}App、微信或支付宝缴费，或拨打 {hotline}。</translation>
    </message>
</context>
<context>
    <name>Qr</name>
    <message>
        <source>Scan with {method}</source>
        <translation>请用{method}扫码</translation>
    </message>
    <message>
        <source>To pay: {amount}</source>
        <translation>应付：{amount}</translation>
    </message>
    <message>
        <source>Open {method} on your phone, scan the code and confirm. This screen moves on by itself once you have paid.</source>
        <translation>请打开手机上的{method}扫码并确认。支付完成后本屏会自动跳转。</translation>
    </message>
    <message>
        <source>Making your payment code…</source>
        <translation>正在生成支付二维码…</translation>
    </message>
</context>
</TS>
