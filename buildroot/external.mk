include $(sort $(wildcard $(BR2_EXTERNAL_PITWALL_PATH)/package/*/*.mk))
