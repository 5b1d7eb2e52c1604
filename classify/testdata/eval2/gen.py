#!/usr/bin/env python3
"""Second evaluation set for classify, built apart from the tuning set.

Tables modelled on public layouts: the e-invoice export of the national
e-invoice service platform (数电发票 header and line items), a payroll sheet,
the individual income tax withholding return (扣缴申报表), a VAT return, a
bank statement export, a general-ledger voucher export and an English
payroll export. Its vocabulary (names, companies, banks, items, notes) is its
own; headers include abbreviations, units and misleading names.

Run from this folder: python3 gen.py (fixed seed; rewrites the data files and
labels.json). Labels are written next to each column below.
"""
import csv, io, json, random

R = random.Random(20260115)

SURN = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜谢邹喻柏水窦章苏潘葛范彭鲁韦马苗方俞任袁柳鲍史唐费薛雷贺倪汤殷罗毕郝安常乐于傅皮卞齐康伍余顾孟黄穆萧尹"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红梅鑫宇浩然子涵欣怡梓萱俊杰思远嘉怡文博雨桐晨阳"
PINYIN_S = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin"]
PINYIN_G = ["Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Jun", "Tao", "Hui", "Xin", "Yu", "Hao", "Ting", "Qiang", "Lan", "Bo", "Ning"]
CITIES = [("北京", "110105"), ("上海", "310104"), ("广州", "440106"), ("深圳", "440305"), ("杭州", "330106"), ("成都", "510107"),
          ("武汉", "420111"), ("南京", "320106"), ("西安", "610113"), ("苏州", "320505"), ("天津", "120101"), ("重庆", "500103")]
DISTRICTS = {"北京": ["海淀区", "朝阳区", "东城区"], "上海": ["徐汇区", "浦东新区", "静安区"], "广州": ["天河区", "越秀区"],
             "深圳": ["南山区", "福田区", "宝安区"], "杭州": ["西湖区", "滨江区"], "成都": ["武侯区", "锦江区"], "武汉": ["洪山区", "江汉区"],
             "南京": ["鼓楼区", "玄武区"], "西安": ["雁塔区", "碑林区"], "苏州": ["姑苏区", "工业园区"], "天津": ["和平区", "南开区"], "重庆": ["渝中区", "江北区"]}
ROADS = ["中关村大街", "科苑南路", "体育西路", "学院路", "长江路", "人民南路", "解放大道", "中山北路", "高新二路", "星湖街", "滨江大道", "青年路"]
BRANDS = ["宏远", "安泰", "博瑞", "金桥", "智联", "恒信", "海纳", "鼎盛", "远航", "新元", "佳和", "瑞丰", "光启", "正泰", "云图", "联创"]
TRADES = ["软件", "商贸", "物流", "餐饮管理", "建筑工程", "医疗器械", "文化传媒", "电子科技", "咨询", "食品"]
FORMS = ["有限公司", "有限责任公司", "股份有限公司"]
BANKS = ["中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "交通银行", "招商银行", "兴业银行", "浦发银行", "中信银行", "平安银行", "宁波银行", "北京银行"]
BANKS_EN = ["Bank of China", "ICBC", "China Merchants Bank", "China Construction Bank", "Agricultural Bank of China", "Bank of Communications", "Ping An Bank"]
DEPTS = ["财务部", "人力资源部", "销售一部", "销售二部", "研发中心", "行政部", "采购部", "客服中心"]
POSTS = ["会计", "出纳", "销售代表", "软件工程师", "人事专员", "采购员", "客服专员", "部门经理", "测试工程师"]
ITEMS = ["*信息技术服务*软件开发服务", "*现代服务*咨询服务费", "*办公用品*打印纸", "*电子计算机*笔记本电脑", "*餐饮服务*餐费",
         "*运输服务*国内货物运输", "*经纪代理服务*代理记账", "*住宿服务*住宿费", "*纸制品*复印纸", "*计算机配套产品*显示器"]
UNITS = ["项", "次", "个", "台", "箱", "件", "天", ""]
TAX_OFFICES = ["国家税务总局{c}市{d}税务局", "国家税务总局{c}市{d}税务局第一税务所", "国家税务总局{c}市税务局第三稽查局"]
STORES = ["星巴克(国贸店)", "美团外卖", "全家便利店", "京东商城", "滴滴出行", "中国石化加油站", "肯德基(西湖店)", "盒马鲜生", "苹果官方商城", "携程旅行"]
NOTES_CN = ["请于月底前付款", "合同编号HT-{n}对应款项", "含运费", "分两期开票", "项目验收后结算", "按框架协议执行", "已与财务核对", "预付款的30%"]
PAYNOTES = ["{m}月房租", "货款", "借款归还", "报销差旅费", "{m}月物业费", "还信用卡", "押金退还", "代收水电费"]
ALLERGY = ["青霉素过敏", "头孢类药物过敏", "海鲜过敏", "花粉过敏", "磺胺类过敏", "芒果过敏"]
BLOOD = ["A型", "B型", "O型", "AB型", "A型", "O型", "B型", "O型Rh阴性", "AB型Rh阴性"]
DISAB = ["肢体残疾三级", "听力残疾四级", "视力残疾二级", "肢体残疾四级", "言语残疾三级"]

def name():
    return R.choice(SURN) + "".join(R.choice(GIVEN) for _ in range(R.choice([1, 2, 2])))

def latin():
    return R.choice(PINYIN_G) + " " + R.choice(PINYIN_S)

def city():
    return R.choice(CITIES)

def company():
    c, _ = city()
    return c + R.choice(BRANDS) + R.choice(TRADES) + R.choice(FORMS)

def address():
    c, _ = city()
    return "%s市%s%s%d号%s" % (c, R.choice(DISTRICTS[c]), R.choice(ROADS), R.randint(1, 300),
                              R.choice(["", "%d栋%d室" % (R.randint(1, 20), R.randint(101, 2505)), "A座%d层" % R.randint(2, 30)]))

def digits(n):
    return "".join(R.choice("0123456789") for _ in range(n))

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
def resident_id():
    _, region = city()
    y = R.randint(1958, 2003); m = R.randint(1, 12); d = R.randint(1, 28)
    body = "%s%04d%02d%02d%03d" % (region, y, m, d, R.randint(1, 999))
    return body + "10X98765432"[sum(int(a) * b for a, b in zip(body, W)) % 11]

UC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
UW = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
def uscc():
    _, region = city()
    body = "91" + region + "".join(R.choice(UC) for _ in range(9))
    s = sum(UC.index(ch) * w for ch, w in zip(body, UW))
    return body + UC[(31 - s % 31) % 31]

def luhn(prefix, n):
    body = prefix + digits(n - len(prefix) - 1)
    for c in "0123456789":
        s, dbl = 0, False
        for ch in reversed(body + c):
            v = int(ch)
            if dbl:
                v = v * 2 - 9 if v * 2 > 9 else v * 2
            s += v; dbl = not dbl
        if s % 10 == 0:
            return body + c

def card():
    return luhn(R.choice(["622202", "622848", "621700", "622588", "621483", "625807", "436742", "622908"]), R.choice([16, 19, 19]))

def corp_account():
    return R.choice(["0200", "1100", "3100", "4400"]) + digits(R.choice([13, 15, 17]))

def mobile():
    return R.choice(["13", "15", "17", "18", "19"]) + str(R.randint(0, 9)) + digits(8)

def landline():
    return R.choice(["010-", "021-", "020-", "0755-", "0571-", "028-"]) + str(R.randint(2, 8)) + digits(7)

def money(lo, hi):
    return "%.2f" % (R.randint(lo * 100, hi * 100) / 100)

def grouped(v):
    return "{:,.2f}".format(float(v))

CAP = "零壹贰叁肆伍陆柒捌玖"
def capital(v):
    # 1234.56 -> 壹仟贰佰叁拾肆圆伍角陆分
    yuan, fen = int(v), round((v - int(v)) * 100)
    units = ["", "拾", "佰", "仟", "万", "拾", "佰", "仟"]
    s, zero = "", False
    ds = str(yuan)
    for i, ch in enumerate(ds):
        pos = len(ds) - 1 - i
        if ch == "0":
            zero = True
            if pos == 4:
                s += "万"
            continue
        if zero and s:
            s += "零"
        zero = False
        s += CAP[int(ch)] + units[pos]
    s = (s or "零") + "圆"
    j, f = fen // 10, fen % 10
    if j == 0 and f == 0:
        return s + "整"
    if j:
        s += CAP[j] + "角"
    if f:
        s += CAP[f] + "分"
    return s

def invoice_no():
    return R.choice(["23", "24", "25"]) + R.choice(["11", "31", "44", "33", "51"]) + digits(16)

def invoice_code():
    return R.choice(["0", "1"]) + R.choice(["11", "31", "44"]) + digits(2) + R.choice(["21", "22", "23"]) + digits(5)

def dt(y0=2022, y1=2025):
    return "%04d-%02d-%02d" % (R.randint(y0, y1), R.randint(1, 12), R.randint(1, 28))

def epoch():
    return str(R.randint(1640995200, 1767225599))

def maybe(v, p=0.1, null=""):
    return null if R.random() < p else v

labels = {}
def table(name, cols, rows):
    for col, (typ, lvl) in cols.items():
        labels[name + "." + col] = {"type": typ, "level": lvl}
    return rows

def write_csv(fname, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    open(fname, "w", encoding="utf-8").write(buf.getvalue())

def write_jsonl(fname, objs):
    with open(fname, "w", encoding="utf-8") as f:
        for o in objs:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")

# 1. e-invoice export (数电发票 header rows).
hdr = ["序号", "数电票号码", "发票代码", "开票日期", "销方识别号", "销方名称", "购方识别号", "购买方名称", "金额", "税率", "税额",
       "价税合计", "价税合计(大写)", "发票来源", "发票票种", "发票状态", "开票人", "备注", "购方开户银行及账号", "购方地址电话"]
lab = {"序号": ("other", 0), "数电票号码": ("invoice_number", 0), "发票代码": ("invoice_code", 0), "开票日期": ("date", 0),
       "销方识别号": ("cn_uscc", 2), "销方名称": ("company_name", 3), "购方识别号": ("cn_uscc", 2), "购买方名称": ("company_name", 3),
       "金额": ("amount", 2), "税率": ("other", 0), "税额": ("amount", 2), "价税合计": ("amount", 2), "价税合计(大写)": ("amount", 2),
       "发票来源": ("other", 0), "发票票种": ("other", 0), "发票状态": ("other", 0), "开票人": ("person_name", 3),
       "备注": ("free_text", 3), "购方开户银行及账号": ("bank_card", 1), "购方地址电话": ("address", 2)}
rows = []
sellers = [(uscc(), company()) for _ in range(4)]
for i in range(140):
    amt = R.randint(10000, 5000000) / 100
    rate = R.choice([0.13, 0.06, 0.06, 0.09, 0.03])
    tax = round(amt * rate, 2)
    s = R.choice(sellers)
    note = R.choice(["", "", R.choice(NOTES_CN).format(n=digits(6)), "联系人%s %s" % (name(), mobile()), "项目：%s" % R.choice(ITEMS).split("*")[2]])
    rows.append([str(i + 1), invoice_no(), maybe(invoice_code(), 0.6), "%s %02d:%02d:%02d" % (dt(), R.randint(8, 20), R.randint(0, 59), R.randint(0, 59)),
                 s[0], s[1], uscc(), company(), "%.2f" % amt, R.choice(["13%", "6%", "9%", "3%", "免税"]), "%.2f" % tax, "%.2f" % (amt + tax),
                 capital(amt + tax), R.choice(["电子发票服务平台", "电子发票服务平台", "增值税发票管理系统"]),
                 R.choice(["数电票（增值税专用发票）", "数电票（普通发票）"]), R.choice(["正常", "正常", "正常", "已作废", "已红冲"]), name(), note,
                 R.choice(BANKS) + city()[0] + R.choice(["分行", "支行", "分行营业部"]) + " " + corp_account(),
                 address() + " " + R.choice([landline(), mobile()])])
write_csv("einvoice.csv", hdr, table("einvoice", lab, rows))

# 2. e-invoice line items, nested JSON Lines.
lab = {"fphm": ("invoice_number", 0), "xm.mc": ("other", 0), "xm.ggxh": ("other", 0), "xm.dw": ("other", 0), "xm.sl": ("other", 0),
       "xm.dj": ("amount", 2), "xm.je": ("amount", 2), "xm.slv": ("other", 0), "xm.se": ("amount", 2), "ssflbm": ("identifier", 0),
       "xsf.mc": ("company_name", 3), "xsf.nsrsbh": ("cn_uscc", 2), "line_no": ("other", 0)}
objs = []
for i in range(160):
    qty = R.choice([1, 1, 2, 3, 5, 10, 12, 20, 100])
    price = R.randint(500, 900000) / 100
    rate = R.choice([0.13, 0.06, 0.09, 0.03, 0.01])
    s = R.choice(sellers)
    objs.append({"fphm": invoice_no(), "line_no": i % 6 + 1,
                 "xm": {"mc": R.choice(ITEMS), "ggxh": R.choice(["", "A4 70g", "V3.2", "27英寸", "标准版", "500张/包"]), "dw": R.choice(UNITS),
                        "sl": qty, "dj": float("%.2f" % price), "je": float("%.2f" % (price * qty)), "slv": rate, "se": float("%.2f" % (price * qty * rate))},
                 "ssflbm": R.choice(["304020199", "304080101", "106050104", "307010101", "109051202"]) + "0000000000",
                 "xsf": {"mc": s[1], "nsrsbh": s[0]}})
table("einvoice_items", lab, None)
write_jsonl("einvoice_items.jsonl", objs)

# 3. Payroll sheet.
hdr = ["工号", "姓名", "部门", "岗位", "证件号码", "工资卡号", "发卡行", "基本工资", "岗位津贴", "应发合计", "养老保险(个人)", "个人所得税",
       "实发金额(分)", "出勤天数", "加班时长", "发薪期间", "血型", "残疾等级", "过敏史", "手机", "入职日期", "备注"]
lab = {"工号": ("identifier", 0), "姓名": ("person_name", 3), "部门": ("other", 0), "岗位": ("other", 0), "证件号码": ("cn_resident_id", 1),
       "工资卡号": ("bank_card", 1), "发卡行": ("other", 0), "基本工资": ("amount", 2), "岗位津贴": ("amount", 2), "应发合计": ("amount", 2),
       "养老保险(个人)": ("amount", 2), "个人所得税": ("amount", 2), "实发金额(分)": ("amount", 2), "出勤天数": ("other", 0),
       "加班时长": ("other", 0), "发薪期间": ("date", 0), "血型": ("medical", 1), "残疾等级": ("medical", 1), "过敏史": ("medical", 1),
       "手机": ("mobile_phone", 3), "入职日期": ("date", 0), "备注": ("free_text", 0)}
rows = []
for i in range(120):
    base = R.choice([4500, 6000, 8000, 9500, 12000, 15000, 18000, 22000])
    allow = R.choice([0, 200, 300, 500, 800, 1000])
    gross = base + allow
    pension = round(gross * 0.08, 2)
    iit = round(max(0, gross - 5000 - pension) * 0.03, 2)
    net = gross - pension - iit
    rows.append(["HR%04d" % (i + 1), name(), R.choice(DEPTS), R.choice(POSTS), resident_id(), card(), R.choice(BANKS),
                 "%.2f" % base, str(allow), "%.2f" % gross, "%.2f" % pension, "%.2f" % iit, str(int(round(net * 100))),
                 R.choice(["21.75", "22", "21", "20.5", "19", "22"]), R.choice(["0", "4", "8.5", "12", "16", "2.5", "0"]),
                 R.choice(["202401", "202402", "202403", "202404"]), R.choice(BLOOD),
                 R.choice(["无"] * 6 + DISAB), R.choice(["无", "无", "无"] + ALLERGY), mobile(),
                 "%04d/%02d/%02d" % (R.randint(2012, 2024), R.randint(1, 12), R.randint(1, 28)),
                 R.choice(["", "", "", "试用期", "补发上月加班费", "含年终奖分摊", "产假期间"])])
write_csv("payroll.csv", hdr, table("payroll", lab, rows))

# 4. Individual income tax withholding return (扣缴申报表).
hdr = ["序号", "姓名", "证件类型", "证件号码", "所得项目", "所得期间起", "所得期间止", "本期收入", "本期免税收入", "基本养老保险费",
       "累计子女教育", "应纳税所得额", "税率", "应扣缴税额", "主管税务机关", "申报时间"]
lab = {"序号": ("other", 0), "姓名": ("person_name", 3), "证件类型": ("other", 0), "证件号码": ("cn_resident_id", 1), "所得项目": ("other", 0),
       "所得期间起": ("date", 0), "所得期间止": ("date", 0), "本期收入": ("amount", 2), "本期免税收入": ("amount", 2),
       "基本养老保险费": ("amount", 2), "累计子女教育": ("amount", 2), "应纳税所得额": ("amount", 2), "税率": ("other", 0),
       "应扣缴税额": ("amount", 2), "主管税务机关": ("other", 0), "申报时间": ("date", 0)}
rows = []
c0 = city()[0]
office = R.choice(TAX_OFFICES).format(c=c0, d=R.choice(DISTRICTS[c0]))
for i in range(110):
    kind = R.random()
    if kind < 0.85:
        t, idn = "居民身份证", resident_id()
    elif kind < 0.95:
        t, idn = "中国护照", R.choice(["E", "G"]) + digits(8)
    else:
        t, idn = "港澳居民来往内地通行证", "H" + digits(8)
    m = R.randint(1, 12)
    inc = R.randint(300000, 4000000) / 100
    rows.append([str(i + 1), name(), t, idn, R.choice(["正常工资薪金", "正常工资薪金", "劳务报酬", "全年一次性奖金收入"]),
                 "2024-%02d" % m, "2024-%02d" % m, "%.2f" % inc, R.choice(["0.00", "0.00", "1500.00"]), "%.2f" % (inc * 0.08),
                 R.choice(["0.00", "2000.00", "4000.00"]), "%.2f" % max(0, inc - 5000), R.choice(["3%", "10%", "20%"]),
                 "%.2f" % (max(0, inc - 5000) * 0.03), office, epoch()])
write_csv("iit_withholding.csv", hdr, table("iit_withholding", lab, rows))

# 5. VAT return, JSON Lines with pinyin abbreviations.
lab = {"nsrsbh": ("cn_uscc", 2), "nsrmc": ("company_name", 3), "skssq": ("date", 0), "sbrq": ("date", 0), "xse": ("amount", 2),
       "xxse": ("amount", 2), "jxse": ("amount", 2), "ynse": ("amount", 2), "zgswjg": ("other", 0), "hy": ("other", 0),
       "cwfzr": ("person_name", 3), "lxdh": ("mobile_phone", 3), "bsy_sfz": ("cn_resident_id", 1)}
objs = []
for i in range(90):
    c = city()[0]
    xse = R.randint(1000000, 900000000) / 100
    objs.append({"nsrsbh": uscc(), "nsrmc": company(), "skssq": "%dQ%d" % (R.choice([2023, 2024, 2025]), R.randint(1, 4)), "sbrq": int(epoch()),
                 "xse": "%.2f" % xse, "xxse": "%.2f" % (xse * 0.13), "jxse": "%.2f" % (xse * 0.09), "ynse": "%.2f" % (xse * 0.04),
                 "zgswjg": R.choice(TAX_OFFICES).format(c=c, d=R.choice(DISTRICTS[c])),
                 "hy": R.choice(["批发业", "软件和信息技术服务业", "餐饮业", "商务服务业", "道路货物运输"]), "cwfzr": name(), "lxdh": mobile(),
                 "bsy_sfz": resident_id()})
table("vat_return", lab, None)
write_jsonl("vat_return.jsonl", objs)

# 6. Bank statement export.
hdr = ["交易日期", "记账时间戳", "本方账号", "对方户名", "对方账号", "对方开户行", "借贷标志", "交易金额", "账户余额", "币种", "摘要",
       "交易渠道", "附言", "流水号", "商户名称"]
lab = {"交易日期": ("date", 0), "记账时间戳": ("date", 0), "本方账号": ("bank_card", 1), "对方户名": ("person_name", 3),
       "对方账号": ("bank_card", 1), "对方开户行": ("other", 0), "借贷标志": ("other", 0), "交易金额": ("amount", 2), "账户余额": ("amount", 2),
       "币种": ("other", 0), "摘要": ("other", 0), "交易渠道": ("other", 0), "附言": ("free_text", 3), "流水号": ("identifier", 0),
       "商户名称": ("other", 0)}
rows = []
own = [card(), card()]
bal = 52340.17
for i in range(150):
    amt = R.randint(-800000, 1500000) / 100
    bal += amt
    m = R.randint(1, 12)
    note = R.choice(["", "", R.choice(PAYNOTES).format(m=m), R.choice(PAYNOTES).format(m=m) + " 联系" + mobile(),
                     "%s转账 电话%s 请查收" % (name(), mobile()), "付%s%d月工资" % (name(), m)])
    rows.append(["2024%02d%02d" % (m, R.randint(1, 28)), epoch(), R.choice(own), name() if R.random() < 0.85 else company(), card(),
                 R.choice(BANKS) + R.choice(["", city()[0] + "分行", city()[0] + R.choice(["支行", "营业部"])]), R.choice(["借", "贷"]),
                 ("+" if amt > 0 else "") + "%.2f" % amt, grouped(bal), R.choice(["人民币", "人民币", "CNY"]),
                 R.choice(["代发工资", "转账", "消费", "利息", "手续费", "跨行转出", "网银转入"]), R.choice(["网上银行", "手机银行", "柜面", "ATM"]),
                 note, "F%s%08d" % (digits(6), i), maybe(R.choice(STORES), 0.5)])
write_csv("bank_statement.csv", hdr, table("bank_statement", lab, rows))

# 7. General ledger voucher export (用友/金蝶 style).
hdr = ["凭证日期", "会计期间", "凭证字号", "科目编码", "科目名称", "摘要", "借方金额", "贷方金额", "往来单位", "职员", "制单人", "附件数"]
lab = {"凭证日期": ("date", 0), "会计期间": ("date", 0), "凭证字号": ("identifier", 0), "科目编码": ("identifier", 0), "科目名称": ("other", 0),
       "摘要": ("free_text", 0), "借方金额": ("amount", 2), "贷方金额": ("amount", 2), "往来单位": ("company_name", 3), "职员": ("person_name", 3),
       "制单人": ("person_name", 3), "附件数": ("other", 0)}
ACCTS = [("1002", "银行存款-工商银行"), ("1122", "应收账款"), ("2202", "应付账款"), ("660201", "管理费用-办公费"), ("660202", "管理费用-差旅费"),
         ("6001", "主营业务收入"), ("22210101", "应交税费-应交增值税-进项税额"), ("1001", "库存现金"), ("2211", "应付职工薪酬")]
SUMMARY = ["支付{m}月办公用品费", "收到{c}货款", "计提{m}月工资", "报销{n}出差费用", "缴纳{m}月增值税", "支付{c}服务费", "结转本月成本", "提取备用金"]
rows = []
clerks = [name() for _ in range(3)]
partners = [company() for _ in range(12)]
for i in range(130):
    code, acct = R.choice(ACCTS)
    m = R.randint(1, 12)
    debit = R.random() < 0.5
    v = money(10, 80000)
    rows.append(["2024-%02d-%02d" % (m, R.randint(1, 28)), "2024%02d" % m, "记-%04d" % (i // 2 + 1), code, acct,
                 R.choice(SUMMARY).format(m=m, c=R.choice(partners)[:6], n=name()), v if debit else "", "" if debit else v,
                 maybe(R.choice(partners), 0.4), maybe(name(), 0.6), R.choice(clerks), str(R.choice([0, 1, 1, 2, 3, 5]))])
write_csv("ledger.csv", hdr, table("ledger", lab, rows))

# 8. English payroll export, nested JSON Lines.
lab = {"employee.id": ("identifier", 0), "employee.full_name": ("person_name", 3), "employee.national_id": ("cn_resident_id", 1),
       "pay.period": ("date", 0), "pay.gross_cents": ("amount", 2), "pay.net_in_cents": ("amount", 2), "pay.hours": ("other", 0),
       "pay.overtime_rate": ("other", 0), "deductions.pension": ("amount", 2), "bank.name": ("other", 0), "bank.account": ("bank_card", 1),
       "contact.phone": ("mobile_phone", 3), "contact.email": ("email", 3), "health.blood_type": ("medical", 1),
       "health.allergies": ("medical", 1), "notes": ("free_text", 0)}
objs = []
for i in range(100):
    gross = R.randint(400000, 3500000)
    fn = latin()
    objs.append({"employee": {"id": "E-%04d" % (1000 + i), "full_name": fn, "national_id": resident_id()},
                 "pay": {"period": "2024-%02d" % R.randint(1, 12), "gross_cents": gross, "net_in_cents": int(gross * 0.78),
                         "hours": R.choice([160, 168, 152.5, 176, 144]), "overtime_rate": R.choice([1.5, 2, 3, 1.5])},
                 "deductions": {"pension": float("%.2f" % (gross / 100 * 0.08))},
                 "bank": {"name": R.choice(BANKS_EN), "account": card()},
                 "contact": {"phone": "+86 %s" % mobile(), "email": "%s.%s%d@example.com" % (fn.split()[0].lower(), fn.split()[1].lower(), i)},
                 "health": {"blood_type": R.choice(["A+", "B+", "O+", "AB+", "A-", "O-"]),
                            "allergies": R.choice(["none", "none", "penicillin", "peanuts", "shellfish", "pollen", "latex"])},
                 "notes": R.choice(["", "", "joined mid-month", "relocated from Shenzhen office", "on parental leave in March", "contractor converted to staff"])})
table("payroll_en", lab, None)
write_jsonl("payroll_en.jsonl", objs)

with open("labels.json", "w", encoding="utf-8") as f:
    json.dump(labels, f, ensure_ascii=False, indent=2, sort_keys=True)
    f.write("\n")
print(len(labels), "fields")
