"""zh_CN translations of the console's strings, kept here so `python -m console.i18n` can
rebuild messages.po/.mo after `pybabel extract` (see README, "The console"). The strings live
in console/translations/chinese/, a module per group of pages."""
from console.translations.chinese import (common_a_to_o, common_p_to_z, dashboard_and_reports,
                                          lottery, mall_and_programme)

ZH_CN = {**common_a_to_o.STRINGS, **common_p_to_z.STRINGS, **lottery.STRINGS,
         **mall_and_programme.STRINGS, **dashboard_and_reports.STRINGS}
